import { Injectable } from '@nestjs/common';
import { MAX_PAGE_SIZE, NotFoundError, Store, type RunRecord, type TaskRunRecord } from '@aoe/store';
import { TtlCache } from '../../cache/ttl-cache';
import { GatewayConfig } from '../../config/gateway.config';
import { GetRunCommand } from './get-run.command';

export interface RunDetail extends RunRecord {
  tasks: TaskRunRecord[];
}

/** A run's status with its task runs, read by primary key and cached for a second. */
@Injectable()
export class GetRunUseCase {
  private readonly cache: TtlCache<RunDetail | undefined>;

  constructor(
    private readonly store: Store,
    config: GatewayConfig,
  ) {
    this.cache = new TtlCache(config.statusCacheMs);
  }

  async execute(input: GetRunCommand): Promise<RunDetail> {
    const { id } = GetRunCommand.parse(input);
    const detail = await this.cache.get(id, () => this.load(id));
    if (!detail) throw new NotFoundError('run', id);
    return detail;
  }

  private async load(id: string): Promise<RunDetail | undefined> {
    const [run, tasks] = await Promise.all([
      this.store.runs.get(id),
      this.store.taskRuns.listByRun(id, { limit: MAX_PAGE_SIZE }),
    ]);
    return run ? { ...run, tasks: tasks.items } : undefined;
  }
}
