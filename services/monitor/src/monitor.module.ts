import { Module } from '@nestjs/common';
import { WebhookNotifier } from './alerting/webhook.notifier';
import { clockProvider } from '@aoe/service-kit';
import { agentGuardProvider } from '@aoe/agents';
import { FreshnessTimer } from './freshness.timer';
import { COLUMN_STATS, ProfileColumnStatsReader } from './history/column-stats.reader';
import { MonitorMetrics } from './metrics/monitor.metrics';
import { MonitorConfig } from './monitor-config';
import { RunEventHandler } from './run-event.handler';
import { TaskEventHandler } from './task-event.handler';
import { CheckFreshnessUseCase } from './usecases/check-freshness/check-freshness.usecase';
import { RaiseAlertUseCase } from './usecases/raise-alert/raise-alert.usecase';
import { RecordDecisionEventUseCase } from './usecases/record-decision-event/record-decision-event.usecase';
import { RecordRunEventUseCase } from './usecases/record-run-event/record-run-event.usecase';
import { RecordTaskEventUseCase } from './usecases/record-task-event/record-task-event.usecase';

/**
 * Consumes aoe.evt.run.*, aoe.evt.task.* and aoe.evt.decision.recorded: run
 * statistics (run_stats), anomaly detection against each pipeline's own
 * history, freshness on a timer, alerts (store, aoe.evt.alert.raised,
 * webhook) and Prometheus metrics.
 */
@Module({
  controllers: [RunEventHandler, TaskEventHandler],
  providers: [
    RecordRunEventUseCase,
    RecordTaskEventUseCase,
    RecordDecisionEventUseCase,
    RaiseAlertUseCase,
    CheckFreshnessUseCase,
    FreshnessTimer,
    WebhookNotifier,
    MonitorMetrics,
    agentGuardProvider,
    clockProvider,
    { provide: COLUMN_STATS, useClass: ProfileColumnStatsReader },
    { provide: MonitorConfig, useFactory: () => MonitorConfig.fromEnvironment() },
  ],
})
export class MonitorModule {}
