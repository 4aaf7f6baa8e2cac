/** How a failed handler is retried: declared next to the consumer, never in the handler. */
export interface RetryPolicy {
  /** Deliveries in all, the first included, before the message is dead-lettered. */
  maxDeliver: number;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** 0..1: the share of each delay drawn at random, so replicas do not retry in lockstep. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxDeliver: 5,
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 30_000,
  jitter: 0.2,
};

/** The delay before delivery `attempt + 1`, after delivery `attempt` (1-based) failed. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(exponential, policy.maxDelayMs);
  const jitter = capped * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(capped + jitter));
}
