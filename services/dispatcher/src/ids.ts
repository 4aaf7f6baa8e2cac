import { uuidFromText } from '@aoe/messaging';

export const SERVICE = 'dispatcher';

/** The inbox key under which a cancel request for a run is recorded (message id = the run id). */
export const CANCEL_MARKER = 'dispatcher.cancel';

/** Envelope id of a run or task lifecycle event: a repeat of the same fact is dropped by the bus. */
export function eventId(...parts: Array<string | number>): string {
  return uuidFromText(`${SERVICE}|${parts.join('|')}`);
}

/** The run id of a pipeline's scheduled run for one cron tick: the same on every replica. */
export function scheduledRunId(pipelineId: string, tick: Date): string {
  return uuidFromText(`${SERVICE}|schedule|${pipelineId}|${tick.toISOString()}`);
}
