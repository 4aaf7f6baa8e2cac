import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { RecordAuditUseCase } from '../usecases/record-audit/record-audit.usecase';
import { AccessControl } from './access-control';
import { AccessDeniedError } from './auth.errors';
import { REQUIRED_SCOPE, type Principal, type Scope } from './scope';

export type AuthenticatedRequest = Request & { principal?: Principal };

/**
 * Every /v1 route needs its declared scope; a /v1 route that declares none is
 * refused. Health, metrics and the API document stay open; bus handlers are
 * not HTTP and pass.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessControl,
    private readonly audit: RecordAuditUseCase,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!req.path.startsWith('/v1/') && req.path !== '/v1') return true;
    const required = this.reflector.get<Scope | undefined>(REQUIRED_SCOPE, context.getHandler());
    try {
      if (!required) throw new AccessDeniedError('forbidden', 'this route declares no scope');
      req.principal = await this.access.authorize(
        { authorization: req.header('authorization'), apiKey: req.header('x-api-key') },
        required,
      );
      return true;
    } catch (error) {
      if (!(error instanceof AccessDeniedError)) throw error;
      const res = context.switchToHttp().getResponse<Response>();
      if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      if (error.code === 'unauthenticated') res.setHeader('WWW-Authenticate', 'Bearer realm="aoe"');
      if (req.method !== 'GET') {
        await this.audit.execute({
          actor: 'unauthorised',
          action: `${req.method} ${routeOf(req)}`,
          result: 'denied',
          statusCode: error.statusCode,
          requestId: req.header('x-request-id'),
        });
      }
      throw error;
    }
  }
}

export function routeOf(req: Request): string {
  return (req.route as { path?: string } | undefined)?.path ?? req.path;
}
