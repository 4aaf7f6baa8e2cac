import { Injectable } from '@nestjs/common';
import type { SourceKind } from '@aoe/contracts';
import { Store, type Page, type SourceRecord } from '@aoe/store';
import { ListSourcesCommand } from './list-sources.command';

@Injectable()
export class ListSourcesUseCase {
  constructor(private readonly store: Store) {}

  execute(input: ListSourcesCommand): Promise<Page<SourceRecord>> {
    const command = ListSourcesCommand.parse(input);
    return this.store.sources.list({ ...command, kind: command.kind as SourceKind | undefined });
  }
}
