export * from './monitor.module';
export { MonitorConfig, type WebhookSettings } from './monitor-config';
export { MonitorMetrics } from './metrics/monitor.metrics';
export { WebhookNotifier, retryableStatus, type WebhookOutcome } from './alerting/webhook.notifier';
export {
  COLUMN_STATS,
  ProfileColumnStatsReader,
  type ColumnStatsReader,
  type RunColumns,
} from './history/column-stats.reader';
export { schemaFingerprint } from './history/schema-fingerprint';
export * from './statistics/robust';
export { DEFAULT_DETECTION, type DetectionOptions, type Finding } from './detection/finding';
export { detectRunAnomalies } from './detection/detect-run-anomalies';
export { detectVolume } from './detection/volume.detector';
export { detectDuration } from './detection/duration.detector';
export { detectNullRate } from './detection/null-rate.detector';
export { detectSchemaDrift, compareColumns, type SchemaChange } from './detection/schema-drift.detector';
export { detectFreshness } from './detection/freshness.detector';
export { detectFailureTrend } from './detection/failure-trend.detector';
export { expectedInterval, scheduleInterval, type ExpectedInterval } from './detection/interval';
export { alertId, RaiseAlertUseCase } from './usecases/raise-alert/raise-alert.usecase';
export { CheckFreshnessUseCase } from './usecases/check-freshness/check-freshness.usecase';
export { RecordRunEventUseCase } from './usecases/record-run-event/record-run-event.usecase';
