import { Module } from '@nestjs/common';
import { WebhookNotifier } from './alerting/webhook.notifier';
import { clockProvider } from '@aoe/service-kit';
import { agentGuardProvider } from '@aoe/agents';
import { FreshnessTimer } from './freshness.timer';
import { COLUMN_STATS, ProfileColumnStatsReader } from './history/column-stats.reader';
import { MonitorMetrics } from './metrics/monitor.metrics';
import { MonitorConfig } from './monitor-config';
import { AlertEventHandler } from './alert-event.handler';
import { RunEventHandler } from './run-event.handler';
import { TaskEventHandler } from './task-event.handler';
import { CheckFreshnessUseCase } from './usecases/check-freshness/check-freshness.usecase';
import { ForwardAlertUseCase } from './usecases/forward-alert/forward-alert.usecase';
import { RaiseAlertUseCase } from './usecases/raise-alert/raise-alert.usecase';
import { RecordDecisionEventUseCase } from './usecases/record-decision-event/record-decision-event.usecase';
import { RecordRunEventUseCase } from './usecases/record-run-event/record-run-event.usecase';
import { RecordTaskEventUseCase } from './usecases/record-task-event/record-task-event.usecase';

/**
 * Consumes aoe.evt.run.*, aoe.evt.task.* and aoe.evt.decision.recorded: run
 * statistics (run_stats), anomaly detection against each pipeline's own
 * history, freshness on a timer, alerts (store, aoe.evt.alert.raised,
 * webhook) and Prometheus metrics. Consumes aoe.evt.alert.raised too: other
 * services' alerts (recovery's) go to the same webhook.
 */
@Module({
  controllers: [RunEventHandler, TaskEventHandler, AlertEventHandler],
  providers: [
    RecordRunEventUseCase,
    RecordTaskEventUseCase,
    RecordDecisionEventUseCase,
    RaiseAlertUseCase,
    ForwardAlertUseCase,
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
