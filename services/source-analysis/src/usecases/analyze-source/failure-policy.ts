import type { ErrorClass } from '@aoe/contracts';
import { ConnectorError } from '@aoe/connectors';

/**
 * The one table that says whether a failed analysis is tried again: the bus
 * retries with backoff what may pass (the network, a timeout, a rate limit, a
 * full disk, the unknown); what cannot pass without a person (credentials, a
 * source that is not there, content that cannot be read, a wrong spec) stops
 * at once, marks the source failed and dead-letters the command with the reason.
 */
export const FAILURE_POLICY: Readonly<Record<ErrorClass, 'retry' | 'stop'>> = {
  'transient-network': 'retry',
  timeout: 'retry',
  'rate-limit': 'retry',
  'resource-exhaustion': 'retry',
  unknown: 'retry',
  auth: 'stop',
  'schema-drift': 'stop',
  'data-quality': 'stop',
  bug: 'stop',
};

export interface ClassifiedFailure {
  errorClass: ErrorClass;
  retry: boolean;
  message: string;
}

/** A spec the connector refuses (zod) is a bug in the request; anything else unclassified is unknown. */
export function classifyFailure(error: unknown): ClassifiedFailure {
  const message = error instanceof Error ? error.message : String(error);
  let errorClass: ErrorClass = 'unknown';
  if (error instanceof ConnectorError) errorClass = error.errorClass;
  else if ((error as { name?: unknown } | null)?.name === 'ZodError') errorClass = 'bug';
  return { errorClass, retry: FAILURE_POLICY[errorClass] === 'retry', message };
}
