import { Injectable } from '@nestjs/common';
import { Store, type Page, type RunRecord } from '@aoe/store';
import { TtlCache } from '../../cache/ttl-cache';
import { GatewayConfig } from '../../config/gateway.config';
import { ListRunsCommand } from './list-runs.command';

/** Newest first, through the (pipeline_id, created_at, id) or (created_at, id) index; cached briefly. */
@Injectable()
export class ListRunsUseCase {
  private readonly cache: TtlCache<Page<RunRecord>>;

  constructor(
    private readonly store: Store,
    config: GatewayConfig,
  ) {
    this.cache = new TtlCache(config.statusCacheMs);
  }

  execute(input: ListRunsCommand): Promise<Page<RunRecord>> {
    const command = ListRunsCommand.parse(input);
    return this.cache.get(JSON.stringify(command), () => this.store.runs.list(command));
  }
}
