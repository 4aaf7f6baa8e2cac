import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { Telemetry } from '@aoe/telemetry';

/** Recovery's Prometheus metrics in the service's registry (served on /metrics); registered once per registry. */
@Injectable()
export class RecoveryMetrics {
  readonly decisions: Counter<'action' | 'class' | 'decided_by'>;
  readonly failureToAction: Histogram<'action'>;
  readonly skipped: Counter<'reason'>;
  readonly circuits: Counter<'change'>;

  constructor(telemetry: Telemetry) {
    const registry = telemetry.metrics.registry;
    this.decisions =
      (registry.getSingleMetric('aoe_recovery_decisions_total') as typeof this.decisions | undefined) ??
      new Counter({
        name: 'aoe_recovery_decisions_total',
        help: 'Recovery decisions, by action, failure class and who decided (rules or model)',
        labelNames: ['action', 'class', 'decided_by'],
        registers: [registry],
      });
    this.failureToAction =
      (registry.getSingleMetric('aoe_recovery_failure_to_action_seconds') as typeof this.failureToAction | undefined) ??
      new Histogram({
        name: 'aoe_recovery_failure_to_action_seconds',
        help: 'From the failure (the run.failed event) to the recovery command published, by action',
        labelNames: ['action'],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
        registers: [registry],
      });
    this.skipped =
      (registry.getSingleMetric('aoe_recovery_skipped_total') as typeof this.skipped | undefined) ??
      new Counter({
        name: 'aoe_recovery_skipped_total',
        help: 'Failed-run events recovery did not act on, by reason (claimed elsewhere, not failed any more, pipeline not active)',
        labelNames: ['reason'],
        registers: [registry],
      });
    this.circuits =
      (registry.getSingleMetric('aoe_recovery_circuit_changes_total') as typeof this.circuits | undefined) ??
      new Counter({
        name: 'aoe_recovery_circuit_changes_total',
        help: 'Source circuits opened and closed by recovery',
        labelNames: ['change'],
        registers: [registry],
      });
  }
}
