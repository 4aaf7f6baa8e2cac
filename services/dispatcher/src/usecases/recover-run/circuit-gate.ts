import { Injectable } from '@nestjs/common';
import { CIRCUIT_OPEN_CODE, type ClassifiedError } from '@aoe/contracts';
import { Store } from '@aoe/store';

/**
 * The check before a new run starts: while recovery holds a source's circuit
 * open, runs of pipelines on it are refused (they end failed with a
 * retryable CIRCUIT_OPEN error that recovery defers until the circuit is
 * half-open). A half-open circuit lets runs through: the next one probes.
 */
@Injectable()
export class CircuitGate {
  constructor(private readonly store: Store) {}

  async refusal(sourceId: string): Promise<ClassifiedError | undefined> {
    const circuit = await this.store.circuits.get(sourceId);
    if (circuit.state !== 'open') return undefined;
    return {
      class: 'transient-network',
      code: CIRCUIT_OPEN_CODE,
      retryable: true,
      message: `source "${sourceId}" is failing: its circuit is open until ${circuit.retryAt} (${circuit.reason ?? 'repeated failures'})`,
    };
  }
}
