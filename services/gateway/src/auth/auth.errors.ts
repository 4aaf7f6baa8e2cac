/** Why a caller was turned away; HTTP and gRPC map the code to their own status. */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
  constructor(
    readonly code: 'unauthenticated' | 'forbidden' | 'rate-limited',
    message: string,
    /** Seconds until a rate-limited caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get statusCode(): number {
    return this.code === 'unauthenticated' ? 401 : this.code === 'forbidden' ? 403 : 429;
  }
}
