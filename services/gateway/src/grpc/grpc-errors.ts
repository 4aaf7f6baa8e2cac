import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { HttpException } from '@nestjs/common';
import { ZodError } from 'zod';
import { ConflictError, InvalidCursorError, NotFoundError } from '@aoe/store';
import { AccessDeniedError } from '../auth/auth.errors';
import { UnprocessableError } from '../http/problem';

/** Which errors are the caller's, and the gRPC status each becomes (mirrors the HTTP table). */
export function toGrpcError(error: unknown): Partial<ServiceError> & { code: status; internal: boolean } {
  const make = (code: status, details: string, metadata?: Metadata) => ({
    code,
    details,
    message: details,
    metadata,
    internal: false,
  });
  if (error instanceof AccessDeniedError) {
    const metadata = new Metadata();
    if (error.retryAfterSeconds) metadata.set('retry-after', String(error.retryAfterSeconds));
    const code =
      error.code === 'unauthenticated'
        ? status.UNAUTHENTICATED
        : error.code === 'forbidden'
          ? status.PERMISSION_DENIED
          : status.RESOURCE_EXHAUSTED;
    return make(code, error.message, metadata);
  }
  if (error instanceof NotFoundError) return make(status.NOT_FOUND, error.message);
  if (error instanceof ConflictError || error instanceof UnprocessableError) {
    return make(status.FAILED_PRECONDITION, error.message);
  }
  if (error instanceof InvalidCursorError || error instanceof SyntaxError) {
    return make(status.INVALID_ARGUMENT, error.message);
  }
  if (error instanceof ZodError) {
    return make(
      status.INVALID_ARGUMENT,
      error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; '),
    );
  }
  if (error instanceof HttpException) return make(status.INVALID_ARGUMENT, error.message);
  return { code: status.INTERNAL, details: 'internal error', message: 'internal error', internal: true };
}

/** The HTTP-like status recorded in the audit trail for a gRPC outcome. */
export function auditStatusOf(code: status): number {
  const table: Partial<Record<status, number>> = {
    [status.OK]: 200,
    [status.UNAUTHENTICATED]: 401,
    [status.PERMISSION_DENIED]: 403,
    [status.RESOURCE_EXHAUSTED]: 429,
    [status.NOT_FOUND]: 404,
    [status.FAILED_PRECONDITION]: 409,
    [status.INVALID_ARGUMENT]: 400,
  };
  return table[code] ?? 500;
}
