import { Injectable } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import { Telemetry } from '@aoe/telemetry';

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

/**
 * The monitor's Prometheus metrics, in the service's registry (served on
 * /metrics). Registered once per registry, so embedded mode (one registry
 * for every module) can mount the monitor beside other services.
 */
@Injectable()
export class MonitorMetrics {
  readonly runs: Counter<'status'>;
  readonly tasks: Counter<'status'>;
  readonly rows: Counter<'kind'>;
  readonly runDuration: Histogram<'status'>;
  readonly alerts: Counter<'kind' | 'severity'>;
  readonly decisions: Counter<'agent' | 'decided_by' | 'accepted'>;
  readonly decisionSeconds: Histogram<'agent' | 'decided_by'>;
  readonly webhook: Counter<'outcome'>;

  constructor(telemetry: Telemetry) {
    const registry = telemetry.metrics.registry;
    this.runs = counter(registry, 'aoe_runs_total', 'Run events seen by the monitor, by status', ['status']);
    this.tasks = counter(registry, 'aoe_tasks_total', 'Task events seen by the monitor, by status', ['status']);
    this.rows = counter(registry, 'aoe_rows_total', 'Rows of finished runs, by kind (read, loaded, quarantined)', [
      'kind',
    ]);
    this.runDuration =
      (registry.getSingleMetric('aoe_run_duration_seconds') as Histogram<'status'> | undefined) ??
      new Histogram({
        name: 'aoe_run_duration_seconds',
        help: 'Duration of finished runs',
        labelNames: ['status'],
        buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
        registers: [registry],
      });
    this.alerts = counter(registry, 'aoe_alerts_total', 'Alerts raised by the monitor, by kind and severity', [
      'kind',
      'severity',
    ]);
    this.decisions = counter(registry, 'aoe_agent_decisions_total', 'Agent decisions recorded on the bus', [
      'agent',
      'decided_by',
      'accepted',
    ]);
    this.decisionSeconds =
      (registry.getSingleMetric('aoe_agent_decision_duration_seconds') as
        Histogram<'agent' | 'decided_by'> | undefined) ??
      new Histogram({
        name: 'aoe_agent_decision_duration_seconds',
        help: 'How long agent decisions took (the guard: rules, model and validation), by agent and decider',
        labelNames: ['agent', 'decided_by'],
        buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      });
    this.webhook = counter(registry, 'aoe_alert_webhook_deliveries_total', 'Alert webhook deliveries, by outcome', [
      'outcome',
    ]);
  }
}
