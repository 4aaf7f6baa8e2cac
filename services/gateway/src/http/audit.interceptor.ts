import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { routeOf, type AuthenticatedRequest } from '../auth/auth.guard';
import { RecordAuditUseCase } from '../usecases/record-audit/record-audit.usecase';
import { statusOf } from './problem';

/** Every write through HTTP leaves an audit record: who, what, when, and how it ended. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: RecordAuditUseCase) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (req.method === 'GET' || !req.path.startsWith('/v1/')) return next.handle();
    const record = (statusCode: number) =>
      this.audit.execute({
        actor: req.principal?.id ?? 'anonymous',
        action: `${req.method} ${routeOf(req)}`,
        target: firstParam(req.params),
        result: statusCode < 400 ? 'succeeded' : 'failed',
        statusCode,
        requestId: req.header('x-request-id'),
      });
    return next.handle().pipe(
      mergeMap((value: unknown) =>
        from(record(context.switchToHttp().getResponse<Response>().statusCode).then(() => value)),
      ),
      catchError((error: unknown) => from(record(statusOf(error))).pipe(mergeMap(() => throwError(() => error)))),
    );
  }
}

function firstParam(params: Record<string, string | string[]> | undefined): string | undefined {
  const value = params ? Object.values(params)[0] : undefined;
  return Array.isArray(value) ? value.join('/') : value;
}
