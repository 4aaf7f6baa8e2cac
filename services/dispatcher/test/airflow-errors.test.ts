import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AirflowAuthError,
  AirflowConfig,
  AirflowHttp,
  AirflowHttpError,
  AirflowProtocolError,
  AirflowUnavailableError,
  AirflowValidationError,
  classifyAirflowError,
  createAirflowClient,
  Redactor,
} from '../src/airflow';
import { parseErrorBody } from '../src/airflow/airflow.transport';
import { FakeAirflow } from './fake-airflow/fake-airflow';

/** A bare local HTTP server for answers no Airflow gives: broken bodies, silence, odd statuses. */
async function rawServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SECRET = 'top-secret-airflow-password';
process.env.AOE_TEST_AIRFLOW_ERRORS = SECRET;

function client(baseUrl: string, apiVersion: 'v2' | 'v1' = 'v1', requestTimeoutMs?: number) {
  return createAirflowClient({
    baseUrl,
    apiVersion,
    username: 'admin',
    password: { env: 'AOE_TEST_AIRFLOW_ERRORS' },
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
  });
}

describe('Airflow client errors', () => {
  it('says which request failed and what Airflow said', async () => {
    const fake = await FakeAirflow.start({
      apiVersion: 'v2',
      users: [{ username: 'admin', password: SECRET, role: 'admin' }],
    });
    try {
      fake.addDag({ dagId: 'd', tasks: [{ taskId: 't' }] });
      const error = await client(fake.baseUrl, 'v2')
        .triggerDagRun('d', { logicalDate: 'soon' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AirflowValidationError);
      expect((error as Error).message).toBe(
        'Airflow answered 422 to POST /api/v2/dags/d/dagRuns: body.logical_date: must match format "date-time"',
      );
      expect(classifyAirflowError(error as AirflowValidationError)).toEqual({
        class: 'bug',
        message: (error as Error).message,
        code: 'airflow.validation',
        retryable: false,
      });
    } finally {
      await fake.close();
    }
  });

  it('maps other statuses: 5xx/429 unavailable (retryable), the rest a plain AirflowHttpError', async () => {
    const statuses = [500, 429, 418];
    const server = await rawServer((_req, res) => {
      const status = statuses.shift()!;
      res.writeHead(status, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: `T${status}`, status, detail: `D${status}` }));
    });
    try {
      const c = client(server.url);
      const e500 = await c.getDag('d').catch((e: unknown) => e);
      expect(e500).toBeInstanceOf(AirflowUnavailableError);
      expect((e500 as Error).message).toBe('Airflow answered 500 to GET /api/v1/dags/d: T500: D500');
      const e429 = await c.getDag('d').catch((e: unknown) => e);
      expect(e429).toMatchObject({ status: 429, retryable: true });
      const e418 = await c.getDag('d').catch((e: unknown) => e);
      expect(e418).toBeInstanceOf(AirflowHttpError);
      expect(e418).toMatchObject({ code: 'airflow.http', retryable: false, errorClass: 'unknown', detail: 'D418' });
    } finally {
      await server.close();
    }
  });

  it('refuses 2xx answers it cannot read (AirflowProtocolError)', async () => {
    const bodies = ['<html>proxy login</html>', '{"dag_id": 1}', '', '{}'];
    const server = await rawServer((req, res) => {
      res.writeHead(req.url === '/auth/token' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(bodies.shift());
    });
    try {
      const c = client(server.url);
      await expect(c.getDag('d')).rejects.toThrow('answered 200 with a body that is not JSON');
      const shape = await c.getDag('d').catch((e: unknown) => e);
      expect(shape).toBeInstanceOf(AirflowProtocolError);
      expect((shape as Error).message).toContain('unexpected body (dag_id:');
      await expect(c.getDag('d')).rejects.toThrow('unexpected body ((body):');
      // v2: a login answer without access_token.
      await expect(client(server.url, 'v2').getDag('d')).rejects.toThrow(
        'Airflow POST /auth/token answered without an access_token',
      );
    } finally {
      await server.close();
    }
  });

  it('turns timeouts and unreachable servers into AirflowUnavailableError without credentials', async () => {
    const server = await rawServer(() => {
      /* never answers */
    });
    try {
      const timedOut = await client(server.url, 'v1', 50)
        .getDag('d')
        .catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(AirflowUnavailableError);
      expect((timedOut as Error).message).toBe('Airflow GET /api/v1/dags/d failed: timed out after 50 ms');
    } finally {
      await server.close();
    }
    const refused = await client(server.url, 'v2')
      .getDag('d')
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AirflowUnavailableError);
    expect((refused as Error).message).toBe('Airflow POST /auth/token failed: ECONNREFUSED');
    expect(JSON.stringify(refused) + String((refused as Error).stack)).not.toContain(SECRET);
  });

  it('passes the caller’s abort reason through unchanged', async () => {
    const server = await rawServer(() => {
      /* never answers */
    });
    try {
      const controller = new AbortController();
      const reason = new Error('stop');
      setTimeout(() => controller.abort(reason), 20);
      await expect(client(server.url).getDag('d', { signal: controller.signal })).rejects.toBe(reason);
    } finally {
      await server.close();
    }
  });

  it('an aborted caller stops waiting for a shared login; the others still get it', async () => {
    let release: (() => void) | undefined;
    let logins = 0;
    const server = await rawServer((req, res) => {
      if (req.url === '/auth/token') {
        logins += 1;
        release = () => {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('{"access_token":"tok"}');
        };
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"dag_id":"d","is_paused":false}');
    });
    try {
      const c = client(server.url, 'v2');
      const controller = new AbortController();
      const reason = new Error('shutting down');
      const first = c.getDag('d', { signal: controller.signal });
      const second = c.getDag('d');
      await new Promise((resolve) => setTimeout(resolve, 30));
      controller.abort(reason);
      await expect(first).rejects.toBe(reason);
      release!();
      await expect(second).resolves.toEqual({ dagId: 'd', isPaused: false });
      await expect(c.getDag('d', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(logins).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('blanks credentials that a server echoes back', async () => {
    const server = await rawServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ title: 'Unauthorized', status: 401, type: 'x', detail: `bad password ${SECRET}` }));
    });
    try {
      const error = await client(server.url)
        .getDag('d')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AirflowAuthError);
      expect((error as Error).message).toBe(
        'Airflow answered 401 to GET /api/v1/dags/d: Unauthorized: bad password ***',
      );
    } finally {
      await server.close();
    }
  });

  it('reads every documented error body shape', () => {
    expect(parseErrorBody('v2', '{"detail":"Not found"}')).toEqual({ detail: 'Not found', issues: [] });
    expect(parseErrorBody('v2', '{"detail":{"reason":"x"}}')).toEqual({ detail: '{"reason":"x"}', issues: [] });
    expect(
      parseErrorBody('v2', '{"detail":[{"loc":["body","a"],"msg":"m","type":"t","input":"secret"},{"bad":1}]}'),
    ).toEqual({ detail: 'body.a: m', issues: [{ loc: ['body', 'a'], msg: 'm', type: 't' }] });
    expect(parseErrorBody('v1', '{"title":"Bad Request","status":400,"type":"x"}')).toEqual({
      title: 'Bad Request',
      issues: [],
    });
    expect(parseErrorBody('v1', 'Service Unavailable')).toEqual({ detail: 'Service Unavailable', issues: [] });
    expect(parseErrorBody('v1', '')).toEqual({ issues: [] });
    expect(parseErrorBody('v2', '[1]')).toEqual({ issues: [] });
  });

  it('redacts every known value', () => {
    const redactor = new Redactor();
    redactor.add('');
    redactor.add('abc');
    expect(redactor.apply('xabcyabc')).toBe('x***y***');
    expect(new AirflowHttp({ baseUrl: 'http://h/', dialect: 'v1', requestTimeoutMs: 1, redactor })).toBeDefined();
  });
});

describe('Airflow configuration', () => {
  const base = { apiVersion: 'v2' as const, username: 'u', password: { env: 'X' } };

  it('accepts http(s) URLs and defaults the timeout', () => {
    expect(AirflowConfig.parse({ ...base, baseUrl: 'https://airflow.example.com/prefix' }).requestTimeoutMs).toBe(
      30_000,
    );
  });

  it.each([
    ['https://user:pw@airflow.example.com', 'must not embed credentials'],
    ['https://user@airflow.example.com', 'must not embed credentials'],
    ['ftp://airflow.example.com', 'Invalid URL'],
  ])('refuses %s', (baseUrl, message) => {
    expect(() => createAirflowClient({ ...base, baseUrl })).toThrow(message);
  });

  it('refuses an inline password', () => {
    expect(() =>
      createAirflowClient({ ...base, baseUrl: 'http://a', password: 'hunter2' as unknown as { env: string } }),
    ).toThrow('never inline');
  });

  it('surfaces a missing secret as the connectors’ auth error', async () => {
    const c = createAirflowClient({ ...base, baseUrl: 'http://127.0.0.1:9', password: { env: 'AOE_TEST_UNSET_VAR' } });
    await expect(c.getDag('d')).rejects.toMatchObject({
      name: 'ConnectorError',
      errorClass: 'auth',
      message: 'environment variable AOE_TEST_UNSET_VAR is not set',
    });
  });
});
