import { Injectable } from '@nestjs/common';
import { Store, type Page, type PipelineRecord } from '@aoe/store';
import { ListPipelinesCommand } from './list-pipelines.command';

/** Deleted pipelines are left out unless asked for with status=deleted. */
@Injectable()
export class ListPipelinesUseCase {
  constructor(private readonly store: Store) {}

  execute(input: ListPipelinesCommand): Promise<Page<PipelineRecord>> {
    return this.store.pipelines.list(ListPipelinesCommand.parse(input));
  }
}
