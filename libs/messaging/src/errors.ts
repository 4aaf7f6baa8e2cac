/** A payload that does not match its contract: thrown by publish, so bad data never enters the bus. */
export class MessageValidationError extends Error {
  override readonly name = 'MessageValidationError';
  constructor(
    readonly messageType: string,
    readonly issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
  ) {
    super(
      `invalid ${messageType} message: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
}

/**
 * Thrown by a handler for a message that can never succeed (it is dead-lettered
 * at once instead of retried). Every other error is treated as transient.
 */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
}

export function isRetryable(error: unknown): boolean {
  return !(error instanceof NonRetryableError);
}
