import type { ErrorClass } from '@aoe/contracts';

/** A connector failure with its class, so retry-or-stop is decided in one table, not in handlers. */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
