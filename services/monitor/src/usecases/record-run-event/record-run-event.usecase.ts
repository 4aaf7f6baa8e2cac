import { Inject, Injectable } from '@nestjs/common';
import { Store, type NewRunStats, type RunStatsRecord, type RunStatsStatus, type TaskRunRecord } from '@aoe/store';
import { detectRunAnomalies } from '../../detection/detect-run-anomalies';
import { expectedInterval } from '../../detection/interval';
import { COLUMN_STATS, type ColumnStatsReader } from '../../history/column-stats.reader';
import { MonitorMetrics } from '../../metrics/monitor.metrics';
import { MonitorConfig } from '../../monitor-config';
import { RaiseAlertUseCase, type RaiseAlertResult } from '../raise-alert/raise-alert.usecase';
import { RecordRunEventCommand } from './record-run-event.command';

export type RecordRunEventResult =
  { status: 'counted' } | { status: 'recorded' | 'repeated'; stats: RunStatsRecord; alerts: RaiseAlertResult[] };

/** The statistics of a finished run, from its event, its stored row and its task runs. */
export function runStatsOf(
  event: RecordRunEventCommand & { status: RunStatsStatus },
  run: Awaited<ReturnType<Store['runs']['get']>>,
  tasks: readonly TaskRunRecord[],
): NewRunStats {
  const stats = event.stats ?? run?.stats;
  const measured = run?.startedAt ? Math.max(0, Date.parse(event.at) - Date.parse(run.startedAt)) : undefined;
  const durationMs = stats?.durationMs ?? measured;
  const rowsLoaded = stats?.rowsLoaded;
  return {
    runId: event.runId,
    pipelineId: event.pipelineId,
    status: event.status,
    rowsRead: stats?.rowsRead,
    rowsLoaded,
    rowsQuarantined: stats?.rowsQuarantined,
    bytes: stats?.bytes ?? run?.bytesMoved,
    durationMs,
    rowsPerSecond:
      rowsLoaded !== undefined && durationMs !== undefined && durationMs > 0
        ? rowsLoaded / (durationMs / 1000)
        : undefined,
    attempts: Math.max(1, ...tasks.map((t) => t.attempt)),
    retries: tasks.reduce((sum, t) => sum + t.attempt - 1, 0),
    failedTasks: tasks.filter((t) => t.status === 'failed').length,
    finishedAt: event.at,
  };
}

/**
 * Counts every run event; for a finished run, records its statistics in
 * run_stats (once: a repeated event finds them there), then judges them
 * against the pipeline's own history and raises what the detectors find.
 * Detection runs for a repeated event too, so a delivery that failed half-way
 * raises what it had not raised yet; alerts dedupe by (pipeline, kind, run).
 */
@Injectable()
export class RecordRunEventUseCase {
  constructor(
    private readonly store: Store,
    @Inject(COLUMN_STATS) private readonly columnStats: ColumnStatsReader,
    private readonly raiseAlert: RaiseAlertUseCase,
    private readonly metrics: MonitorMetrics,
    private readonly config: MonitorConfig,
  ) {}

  async execute(input: RecordRunEventCommand): Promise<RecordRunEventResult> {
    const event = RecordRunEventCommand.parse(input);
    this.metrics.runs.inc({ status: event.status });
    if (event.status === 'started') return { status: 'counted' };
    const finished = { ...event, status: event.status };

    // Independent reads, issued together (one round trip to an embedded store); all but the first
    // are only used when the statistics are new, which is the usual case.
    const [recorded, run, taskRuns, columns] = await Promise.all([
      this.store.runStats.get(event.runId),
      this.store.runs.get(event.runId),
      this.store.taskRuns.listByRun(event.runId, { limit: 500 }),
      this.columnStats.read({ runId: event.runId, pipelineId: event.pipelineId }),
    ]);
    let stats = recorded;
    // A run recovery ran again finishes again: the later finish replaces the earlier statistics.
    const repeated = stats !== undefined && Date.parse(stats.finishedAt) >= Date.parse(event.at);
    if (!stats || !repeated) {
      const tasks = run ? taskRuns.items : [];
      const fresh: NewRunStats = { ...runStatsOf(finished, run, tasks), ...(columns ?? {}) };
      if (await this.store.runStats.record(fresh)) this.observe(fresh);
      stats = (await this.store.runStats.get(event.runId)) ?? fresh;
    }

    const [historyPage, pipeline] = await Promise.all([
      this.store.runStats.list({
        pipelineId: stats.pipelineId,
        finishedBefore: stats.finishedAt,
        limit: this.config.historyRuns,
      }),
      this.store.pipelines.get(stats.pipelineId),
    ]);
    const history = historyPage.items;
    const schedule = pipeline?.schedule;
    const interval = expectedInterval(
      schedule,
      history.map((r) => r.finishedAt),
      new Date(stats.finishedAt),
      this.config.detection.minHistory,
    );
    const alerts: RaiseAlertResult[] = [];
    for (const finding of detectRunAnomalies(stats, history, interval, this.config.detection)) {
      alerts.push(
        await this.raiseAlert.execute({ finding, correlationId: event.correlationId, causationId: event.messageId }),
      );
    }
    return { status: repeated ? 'repeated' : 'recorded', stats, alerts };
  }

  private observe(stats: NewRunStats): void {
    if (stats.rowsRead !== undefined) this.metrics.rows.inc({ kind: 'read' }, stats.rowsRead);
    if (stats.rowsLoaded !== undefined) this.metrics.rows.inc({ kind: 'loaded' }, stats.rowsLoaded);
    if (stats.rowsQuarantined !== undefined) this.metrics.rows.inc({ kind: 'quarantined' }, stats.rowsQuarantined);
    if (stats.durationMs !== undefined)
      this.metrics.runDuration.observe({ status: stats.status }, stats.durationMs / 1000);
  }
}
