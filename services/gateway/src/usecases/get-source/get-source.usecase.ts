import { Injectable, NotFoundException } from '@nestjs/common';
import { Store, type SourceRecord } from '@aoe/store';

@Injectable()
export class GetSourceUseCase {
  constructor(private readonly store: Store) {}

  async execute(id: string): Promise<SourceRecord> {
    const source = await this.store.sources.get(id);
    if (!source) throw new NotFoundException({ statusCode: 404, error: 'not-found', message: `no source "${id}"` });
    return source;
  }
}
