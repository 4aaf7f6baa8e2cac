import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { Store } from '@aoe/store';
import { GatewayConfig } from '../config/gateway.config';
import { AccessDeniedError } from './auth.errors';
import { parseApiKey, secretMatches } from './api-key-secrets';
import { RateLimiter } from './rate-limiter';
import { grants, Scope, type Principal } from './scope';

export interface Credentials {
  /** The `authorization` header: `Bearer <api key or JWT>`. */
  authorization?: string;
  /** The `x-api-key` header. */
  apiKey?: string;
}

/**
 * One decision for HTTP and gRPC alike: who is calling (API key or JWT), may
 * they do this (scope), and may they do it now (rate limit).
 */
@Injectable()
export class AccessControl {
  private readonly keyCache = new Map<string, { principal: Principal; expiresMs: number }>();
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(
    private readonly store: Store,
    private readonly config: GatewayConfig,
    private readonly limiter: RateLimiter,
  ) {
    this.jwks = config.jwt ? createRemoteJWKSet(new URL(config.jwt.jwksUrl)) : undefined;
  }

  async authorize(credentials: Credentials, required: Scope): Promise<Principal> {
    const principal = await this.authenticate(credentials);
    if (!grants(principal.scope, required)) {
      throw new AccessDeniedError('forbidden', `this operation needs the "${required}" scope`);
    }
    const wait = this.limiter.take(principal.id);
    if (wait > 0) throw new AccessDeniedError('rate-limited', 'rate limit exceeded', wait);
    return principal;
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(credentials.authorization ?? '')?.[1];
    const token = credentials.apiKey ?? bearer;
    if (!token) throw new AccessDeniedError('unauthenticated', 'send an API key or a bearer token');
    if (token.startsWith('aoe_')) return this.apiKey(token);
    return this.jwt(token);
  }

  /** Forgets a cached key at once (this replica); other replicas notice within the cache time. */
  forget(keyId: string): void {
    for (const [token, entry] of this.keyCache) if (entry.principal.id === `key:${keyId}`) this.keyCache.delete(token);
  }

  private async apiKey(token: string): Promise<Principal> {
    const cached = this.keyCache.get(token);
    if (cached && cached.expiresMs > Date.now()) return cached.principal;
    const parsed = parseApiKey(token);
    const record = parsed ? await this.store.apiKeys.get(parsed.id) : undefined;
    if (!parsed || !record || record.revokedAt || !secretMatches(parsed.secret, record.secretHash)) {
      this.keyCache.delete(token);
      throw new AccessDeniedError('unauthenticated', 'unknown or revoked API key');
    }
    const principal: Principal = { id: `key:${record.id}`, scope: record.scope };
    if (this.config.apiKeyCacheMs > 0) {
      if (this.keyCache.size > 10_000) this.keyCache.clear();
      this.keyCache.set(token, { principal, expiresMs: Date.now() + this.config.apiKeyCacheMs });
    }
    return principal;
  }

  private async jwt(token: string): Promise<Principal> {
    if (!this.jwks || !this.config.jwt)
      throw new AccessDeniedError('unauthenticated', 'bearer tokens are not accepted');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new AccessDeniedError(
        'unauthenticated',
        code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid',
      );
    }
    const scope = highestScope(payload.scope ?? payload.scp);
    if (!scope) throw new AccessDeniedError('forbidden', 'the token carries no aoe scope');
    return { id: `jwt:${typeof payload.sub === 'string' ? payload.sub : 'unknown'}`, scope };
  }
}

/** `scope: "aoe:read aoe:write"` (or `scp: [...]`; `read`/`aoe:read` both count): the highest one. */
function highestScope(claim: unknown): Scope | undefined {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(' ') : [];
  const scopes = values
    .map((v) => (typeof v === 'string' ? v.replace(/^aoe:/, '') : ''))
    .filter((v): v is Scope => Scope.safeParse(v).success);
  return (['admin', 'write', 'read'] as const).find((s) => scopes.includes(s));
}
