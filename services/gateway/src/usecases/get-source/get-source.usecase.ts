import { Injectable } from '@nestjs/common';
import { NotFoundError, Store, type SourceRecord } from '@aoe/store';
import { GetSourceCommand } from './get-source.command';

@Injectable()
export class GetSourceUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: GetSourceCommand): Promise<SourceRecord> {
    const { id } = GetSourceCommand.parse(input);
    const source = await this.store.sources.get(id);
    if (!source) throw new NotFoundError('source', id);
    return source;
  }
}
