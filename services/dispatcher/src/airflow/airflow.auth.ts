import { z } from 'zod';
import { AirflowProtocolError } from './airflow.errors';
import type { AirflowHttp, Redactor } from './airflow.transport';

/** How the client authenticates: an `Authorization` header, renewable after a 401. */
export interface AirflowAuth {
  authorization(signal?: AbortSignal): Promise<string>;
  /** Called after Airflow answered 401 to `rejected`; true when a retry with a fresh header may succeed. */
  renew(rejected: string, signal?: AbortSignal): Promise<boolean>;
}

export interface Credentials {
  username: string;
  /** Resolved on every login, so a rotated secret is picked up. */
  password: () => Promise<string>;
}

const LoginResponse = z.object({ access_token: z.string().min(1) });

/**
 * Airflow 3: `POST /auth/token` with `{ username, password }` → 201 `{ access_token }`,
 * sent as `Bearer`. One login at a time is shared by concurrent requests; after a 401
 * the token is dropped (once per rejected token) and the next request logs in again.
 */
export class JwtAuth implements AirflowAuth {
  private current: Promise<string> | undefined;
  /** `/auth/token` calls made, for metrics and tests. */
  logins = 0;

  constructor(
    private readonly http: AirflowHttp,
    private readonly credentials: Credentials,
    private readonly redactor: Redactor,
  ) {}

  async authorization(signal?: AbortSignal): Promise<string> {
    // The login is shared, so it is not tied to one caller's signal (the request timeout bounds it).
    const pending = (this.current ??= this.login());
    pending.catch(() => {
      if (this.current === pending) this.current = undefined;
    });
    return untilAborted(pending, signal);
  }

  async renew(rejected: string): Promise<boolean> {
    const pending = this.current;
    if (pending !== undefined && (await pending.catch(() => undefined)) === rejected && this.current === pending) {
      this.current = undefined;
    }
    return true;
  }

  private async login(): Promise<string> {
    this.logins += 1;
    const password = await this.credentials.password();
    this.redactor.add(password);
    const body = await this.http.send({
      method: 'POST',
      path: '/auth/token',
      body: { username: this.credentials.username, password },
    });
    const parsed = LoginResponse.safeParse(body);
    if (!parsed.success) {
      throw new AirflowProtocolError('Airflow POST /auth/token answered without an access_token', {
        method: 'POST',
        path: '/auth/token',
      });
    }
    this.redactor.add(parsed.data.access_token);
    return `Bearer ${parsed.data.access_token}`;
  }
}

/** `promise`, or the signal's reason as soon as it is aborted. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Airflow 2: HTTP basic auth (`auth_backends = airflow.api.auth.backend.basic_auth`).
 * After a 401 the password is read again; a retry only happens when it changed.
 */
export class BasicAuth implements AirflowAuth {
  private current: Promise<string> | undefined;

  constructor(
    private readonly credentials: Credentials,
    private readonly redactor: Redactor,
  ) {}

  async authorization(): Promise<string> {
    const pending = (this.current ??= this.build());
    try {
      return await pending;
    } catch (error) {
      if (this.current === pending) this.current = undefined;
      throw error;
    }
  }

  async renew(rejected: string): Promise<boolean> {
    this.current = undefined;
    return (await this.authorization()) !== rejected;
  }

  private async build(): Promise<string> {
    const password = await this.credentials.password();
    const encoded = Buffer.from(`${this.credentials.username}:${password}`, 'utf8').toString('base64');
    this.redactor.add(password);
    this.redactor.add(encoded);
    return `Basic ${encoded}`;
  }
}
