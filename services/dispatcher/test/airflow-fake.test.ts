import { FakeAirflow } from './fake-airflow/fake-airflow';
import { convert30, OpenApiContract } from './fake-airflow/openapi-contract';

/**
 * The fake Airflow holds clients to the published OpenAPI documents: these tests
 * show it refusing what real Airflow refuses (the traps in the reference README),
 * and that its response checks would catch a drifting response.
 */

const PASSWORD = 'fake-admin-password';
const USERS = [{ username: 'admin', password: PASSWORD, role: 'admin' as const }];
const DAG = { dagId: 'd1', tasks: [{ taskId: 'a' }, { taskId: 'b', upstream: ['a'] }] };
const BASIC = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

let v2: FakeAirflow;
let v1: FakeAirflow;
let bearer: string;

beforeAll(async () => {
  v2 = await FakeAirflow.start({ apiVersion: 'v2', users: USERS, stepMs: 5 });
  v1 = await FakeAirflow.start({ apiVersion: 'v1', users: USERS, stepMs: 5 });
  const login = await send(v2, 'POST', '/auth/token', { body: { username: 'admin', password: PASSWORD } });
  expect(login.status).toBe(201);
  bearer = `Bearer ${(login.json as { access_token: string }).access_token}`;
});

beforeEach(() => {
  v2.addDag(DAG);
  v1.addDag(DAG);
});

afterEach(() => {
  expect(v2.violations).toEqual([]);
  expect(v1.violations).toEqual([]);
});

afterAll(async () => {
  await v2.close();
  await v1.close();
});

async function send(
  fake: FakeAirflow,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; auth?: string | null } = {},
): Promise<{ status: number; json: any; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const auth = options.auth === undefined ? (fake === v2 ? bearer : BASIC) : options.auth;
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${fake.baseUrl}${path}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function waitForRunState(fake: FakeAirflow, runId: string, state: string): Promise<void> {
  for (let i = 0; i < 200 && fake.runState('d1', runId)?.state !== state; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(fake.runState('d1', runId)?.state).toBe(state);
}

describe('fake Airflow 3 (/api/v2) enforces the v2 specification', () => {
  it('refuses a trigger body without logical_date: it is required, though nullable', async () => {
    const res = await send(v2, 'POST', '/api/v2/dags/d1/dagRuns', { body: { conf: { run_id: 'x' } } });
    expect(res.status).toBe(422);
    expect(res.json).toEqual({ detail: [{ loc: ['body', 'logical_date'], type: 'missing', msg: 'Field required' }] });

    const ok = await send(v2, 'POST', '/api/v2/dags/d1/dagRuns', {
      body: { logical_date: null, conf: { run_id: 'x' } },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ logical_date: null, state: 'queued', conf: { run_id: 'x' }, run_type: 'manual' });
  });

  it('refuses unknown fields in request bodies (additionalProperties: false)', async () => {
    const trigger = await send(v2, 'POST', '/api/v2/dags/d1/dagRuns', {
      body: { logical_date: null, execution_date: null },
    });
    expect(trigger.status).toBe(422);
    expect(trigger.json.detail).toContainEqual({
      loc: ['body', 'execution_date'],
      type: 'extra_forbidden',
      msg: 'Extra inputs are not permitted',
    });
    const patch = await send(v2, 'PATCH', '/api/v2/dags/d1', { body: { is_paused: false, description: 'x' } });
    expect(patch.status).toBe(422);
    const missing = await send(v2, 'PATCH', '/api/v2/dags/d1', { body: {} });
    expect(missing.json.detail).toContainEqual({ loc: ['body', 'is_paused'], type: 'missing', msg: 'Field required' });
    const wrongType = await send(v2, 'PATCH', '/api/v2/dags/d1', { body: { is_paused: 'false' } });
    expect(wrongType.status).toBe(422);
    expect(v2.dagState('d1')).toEqual({ isPaused: true });
  });

  it('clear is a dry run unless the body says "dry_run": false', async () => {
    v2.scriptTask('d1', 'a', ['failed']);
    await send(v2, 'PATCH', '/api/v2/dags/d1', { body: { is_paused: false } });
    const run = await send(v2, 'POST', '/api/v2/dags/d1/dagRuns', { body: { logical_date: null, dag_run_id: 'r1' } });
    expect(run.status).toBe(200);
    await waitForRunState(v2, 'r1', 'failed');

    const dry = await send(v2, 'POST', '/api/v2/dags/d1/clearTaskInstances', { body: { dag_run_id: 'r1' } });
    expect(dry.status).toBe(200);
    const dryIds = (dry.json as { task_instances: Array<{ task_id: string }> }).task_instances.map((ti) => ti.task_id);
    expect(dryIds.sort()).toEqual(['a', 'b']);
    expect(v2.runState('d1', 'r1')).toEqual({ state: 'failed', tasks: { a: 'failed', b: 'upstream_failed' } });

    const real = await send(v2, 'POST', '/api/v2/dags/d1/clearTaskInstances', {
      body: { dag_run_id: 'r1', dry_run: false },
    });
    expect(real.status).toBe(200);
    expect(v2.runState('d1', 'r1')!.tasks.a).not.toBe('failed');
    await waitForRunState(v2, 'r1', 'success');
    v2.scriptTask('d1', 'a', []);
  });

  it('refuses bad query parameters, malformed JSON and a wrong login body', async () => {
    const limit = await send(v2, 'GET', '/api/v2/dags/d1/dagRuns/none/taskInstances?limit=-1');
    expect(limit.status).toBe(422);
    expect(limit.json.detail[0].loc).toEqual(['query', 'limit']);
    const malformed = await send(v2, 'PATCH', '/api/v2/dags/d1', { raw: '{"is_paused":' });
    expect(malformed.status).toBe(422);
    expect(malformed.json.detail[0]).toMatchObject({ type: 'json_invalid' });
    const login = await send(v2, 'POST', '/auth/token', {
      body: { username: 'admin', password: PASSWORD, scope: 'all' },
      auth: null,
    });
    expect(login.status).toBe(422);
    expect(JSON.stringify(login.json)).not.toContain(PASSWORD);
  });

  it('requires a valid, unexpired bearer token', async () => {
    expect((await send(v2, 'GET', '/api/v2/dags/d1', { auth: null })).status).toBe(401);
    const forged = await send(v2, 'GET', '/api/v2/dags/d1', { auth: 'Bearer e30.e30.c2ln' });
    expect(forged).toMatchObject({ status: 401, json: { detail: 'Not authenticated' } });
    expect((await send(v2, 'GET', '/api/v2/dags/d1', { auth: BASIC })).status).toBe(401);
    expect((await send(v2, 'GET', '/api/v2/dags/d1')).status).toBe(200);
  });

  it('answers 404 for operations it does not serve and records them as violations', async () => {
    const res = await send(v2, 'DELETE', '/api/v2/dags/d1');
    expect(res.status).toBe(404);
    expect(v2.violations.splice(0)).toEqual(['DELETE /api/v2/dags/d1: not an operation this fake serves']);
  });
});

describe('fake Airflow 2 (/api/v1) enforces the v1 specification', () => {
  it('answers invalid bodies 400 with an RFC 7807 problem', async () => {
    const res = await send(v1, 'POST', '/api/v1/dags/d1/dagRuns', { body: { conf: 'not-an-object' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ title: 'Bad Request', status: 400, type: expect.stringContaining('BadRequest') });
    expect(res.json.detail).toContain('conf');
  });

  it('refuses read-only and unknown fields, as Airflow 2 marshmallow schemas do', async () => {
    const readOnly = await send(v1, 'POST', '/api/v1/dags/d1/dagRuns', { body: { state: 'success' } });
    expect(readOnly.status).toBe(400);
    expect(readOnly.json.detail).toContain('state');
    const unknown = await send(v1, 'POST', '/api/v1/dags/d1/dagRuns', { body: { dry_run: false } });
    expect(unknown.status).toBe(400);
    const patchReadOnly = await send(v1, 'PATCH', '/api/v1/dags/d1', { body: { is_paused: false, dag_id: 'x' } });
    expect(patchReadOnly.status).toBe(400);
    const mask = await send(v1, 'PATCH', '/api/v1/dags/d1?update_mask=description', { body: { is_paused: false } });
    expect(mask.status).toBe(400);
    const nullPaused = await send(v1, 'PATCH', '/api/v1/dags/d1', { body: { is_paused: null } });
    expect(nullPaused.status).toBe(400);
    const emptyTasks = await send(v1, 'POST', '/api/v1/dags/d1/clearTaskInstances', { body: { task_ids: [] } });
    expect(emptyTasks.status).toBe(400);
    expect(v1.dagState('d1')).toEqual({ isPaused: true });
  });

  it('requires basic auth and says so', async () => {
    const res = await send(v1, 'GET', '/api/v1/dags/d1', { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic');
    expect(res.json).toMatchObject({ title: 'Unauthorized', status: 401 });
    const wrong = `Basic ${Buffer.from('admin:nope').toString('base64')}`;
    expect((await send(v1, 'GET', '/api/v1/dags/d1', { auth: wrong })).status).toBe(401);
    expect((await send(v1, 'GET', '/api/v1/dags/d1', { auth: 'Bearer x' })).status).toBe(401);
  });

  it('clears with a v1 body and answers task-instance references', async () => {
    v1.scriptTask('d1', 'b', ['failed']);
    await send(v1, 'PATCH', '/api/v1/dags/d1?update_mask=is_paused', { body: { is_paused: false } });
    const run = await send(v1, 'POST', '/api/v1/dags/d1/dagRuns', { body: { dag_run_id: 'r1', conf: {} } });
    expect(run.status).toBe(200);
    expect(run.json.logical_date).toEqual(expect.any(String)); // Airflow 2 defaults it to now
    await waitForRunState(v1, 'r1', 'failed');
    const res = await send(v1, 'POST', '/api/v1/dags/d1/clearTaskInstances', {
      body: { dag_run_id: 'r1', dry_run: false, only_failed: true, reset_dag_runs: true },
    });
    expect(res.status).toBe(200);
    expect(res.json.task_instances).toEqual([
      { task_id: 'b', dag_id: 'd1', dag_run_id: 'r1', execution_date: run.json.logical_date },
    ]);
    await waitForRunState(v1, 'r1', 'success');
  });
});

describe('the contract checker the fake uses', () => {
  it('would catch a response that drifted from the specification', () => {
    const v2Contract = OpenApiContract.load('v2-rest-api-generated.yaml');
    const getRun = v2Contract.operation('GET', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}');
    expect(getRun.response(200)!({ dag_id: 'd1', state: 'running' })).toEqual(
      expect.arrayContaining([expect.objectContaining({ keyword: 'required', path: ['dag_run_id'] })]),
    );
    expect(getRun.response(418)).toBeUndefined();
    expect(getRun.requestBody).toBeUndefined();
    expect(() => v2Contract.operation('GET', '/api/v2/nothing')).toThrow('no operation');

    const v1Contract = OpenApiContract.load('v1.yaml');
    const run = { dag_run_id: 'r', dag_id: 'd', state: 'exploded', conf: {} };
    expect(v1Contract.operation('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}').response(200)!(run)).toEqual([
      expect.objectContaining({ keyword: 'enum', path: ['state'] }),
    ]);
    const deleted = v1Contract.operation('DELETE', '/dags/{dag_id}').response(204)!;
    expect(deleted(undefined)).toEqual([]);
    expect(deleted({})).toHaveLength(1);
  });

  it('converts OpenAPI 3.0 schemas to JSON Schema', () => {
    expect(convert30({ type: 'string', nullable: true, enum: ['a'] })).toEqual({
      type: ['string', 'null'],
      enum: ['a', null],
    });
    expect(convert30({ $ref: '#/x', nullable: true, description: 'ignored' })).toEqual({ $ref: '#/x' });
    expect(convert30({ anyOf: [{ type: 'string' }], nullable: true, discriminator: {}, 'x-y': 1 })).toEqual({
      anyOf: [{ anyOf: [{ type: 'string' }] }, { type: 'null' }],
    });
    expect(
      convert30({ type: 'object', properties: { a: { type: 'integer', nullable: true } }, items: { example: 1 } }),
    ).toEqual({ type: 'object', properties: { a: { type: ['integer', 'null'] } }, items: {} });
  });
});
