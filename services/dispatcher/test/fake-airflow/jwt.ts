import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Minimal HS256 JWTs for the fake Airflow 3 `/auth/token`; `exp` is a (fractional) NumericDate, RFC 7519 §2. */
export class JwtIssuer {
  private readonly key = randomBytes(32);
  /** Tokens issued before this instant are refused (see `revokeAll`). */
  private notBeforeMs = 0;

  issue(claims: { sub: string; role: string }, ttlMs: number): string {
    const nowMs = Date.now();
    const header = encode({ alg: 'HS256', typ: 'JWT' });
    const payload = encode({ ...claims, iat: nowMs / 1000, exp: (nowMs + ttlMs) / 1000 });
    return `${header}.${payload}.${this.sign(`${header}.${payload}`)}`;
  }

  /** The claims of a valid, unexpired token; undefined otherwise. */
  verify(token: string): { sub: string; role: string } | undefined {
    const [header, payload, signature] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return undefined;
    const expected = Buffer.from(this.sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      sub: string;
      role: string;
      iat: number;
      exp: number;
    };
    const nowMs = Date.now();
    if (claims.exp * 1000 <= nowMs || claims.iat * 1000 < this.notBeforeMs) return undefined;
    return { sub: claims.sub, role: claims.role };
  }

  revokeAll(): void {
    this.notBeforeMs = Date.now() + 1;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
