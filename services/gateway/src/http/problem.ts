import { HttpException } from '@nestjs/common';
import { ConflictError, InvalidCursorError, NotFoundError } from '@aoe/store';
import { AccessDeniedError } from '../auth/auth.errors';

/** Refused because the request makes no sense now (e.g. a replay of a message that is still invalid). */
export class UnprocessableError extends Error {
  override readonly name = 'UnprocessableError';
}

/** The HTTP status an error becomes (the same table the gRPC adapter maps from). */
export function statusOf(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  if (error instanceof AccessDeniedError) return error.statusCode;
  if (error instanceof ConflictError) return 409;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof InvalidCursorError) return 400;
  if (error instanceof UnprocessableError) return 422;
  return 500;
}
