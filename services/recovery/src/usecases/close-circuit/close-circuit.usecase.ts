import { Injectable } from '@nestjs/common';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { RecoveryMetrics } from '../../metrics/recovery.metrics';
import { CloseCircuitCommand } from './close-circuit.command';

/** A run succeeded: the circuit of its source, if recovery had opened one, closes (the probe got through). */
@Injectable()
export class CloseCircuitUseCase {
  constructor(
    private readonly store: Store,
    private readonly metrics: RecoveryMetrics,
    private readonly telemetry: Telemetry,
  ) {}

  async execute(input: CloseCircuitCommand): Promise<boolean> {
    const event = CloseCircuitCommand.parse(input);
    const pipeline = await this.store.pipelines.get(event.pipelineId);
    if (!pipeline) return false;
    if (!(await this.store.circuits.close(pipeline.sourceId))) return false;
    this.metrics.circuits.inc({ change: 'closed' });
    this.telemetry.logger.info({ sourceId: pipeline.sourceId, runId: event.runId }, 'recovery closed the circuit');
    return true;
  }
}
