import {
  type AirflowApiVersion,
  type AirflowClient,
  AirflowAuthError,
  AirflowConflictError,
  AirflowError,
  AirflowForbiddenError,
  AirflowNotFoundError,
  AirflowUnavailableError,
  AirflowValidationError,
  createAirflowClient,
  type DagRunUpdate,
} from '../src/airflow';
import { FakeAirflow, type FakeAirflowOptions } from './fake-airflow/fake-airflow';

const ADMIN_PASSWORD = 'adm1n-S3cret-pa55';
const VIEWER_PASSWORD = 'v1ewer-S3cret-pa55';
const WRONG_PASSWORD = 'wr0ng-S3cret-pa55';
const USERS = [
  { username: 'admin', password: ADMIN_PASSWORD, role: 'admin' as const },
  { username: 'viewer', password: VIEWER_PASSWORD, role: 'viewer' as const },
];
const DAG_ID = 'aoe__orders';
const TASKS = [
  { taskId: 'extract', upstream: [] },
  { taskId: 'transform', upstream: ['extract'] },
  { taskId: 'validate', upstream: ['transform'] },
  { taskId: 'load', upstream: ['validate'] },
];
const FAST = { backoff: { initialMs: 5, factor: 1.5, maxMs: 20 } };

process.env.AOE_TEST_AIRFLOW_ADMIN = ADMIN_PASSWORD;
process.env.AOE_TEST_AIRFLOW_VIEWER = VIEWER_PASSWORD;
process.env.AOE_TEST_AIRFLOW_WRONG = WRONG_PASSWORD;

const fakes: FakeAirflow[] = [];

async function startFake(options: FakeAirflowOptions): Promise<FakeAirflow> {
  const fake = await FakeAirflow.start({ users: USERS, stepMs: 5, ...options });
  fakes.push(fake);
  fake.addDag({ dagId: DAG_ID, tasks: TASKS, tags: ['aoe'] });
  return fake;
}

function clientFor(fake: FakeAirflow, user = 'admin', passwordEnv = 'AOE_TEST_AIRFLOW_ADMIN'): AirflowClient {
  return createAirflowClient({
    baseUrl: fake.baseUrl,
    apiVersion: fake.apiVersion,
    username: user,
    password: { env: passwordEnv },
  });
}

/** The error's every visible part, to check no credential leaks into it. */
function everything(error: unknown): string {
  const e = error as Error;
  return [e.message, e.stack, JSON.stringify(e), String(e)].join('\n');
}

afterEach(async () => {
  for (const fake of fakes.splice(0)) {
    expect(fake.violations).toEqual([]);
    await fake.close();
  }
});

describe.each<AirflowApiVersion>(['v2', 'v1'])('Airflow client %s against the fake Airflow', (version) => {
  it('unpauses with exactly {"is_paused": false} and pauses again', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    expect(client.apiVersion).toBe(version);
    expect(await client.getDag(DAG_ID)).toEqual({ dagId: DAG_ID, isPaused: true });

    expect(await client.unpauseDag(DAG_ID)).toEqual({ dagId: DAG_ID, isPaused: false });
    const patch = fake.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe(`/api/${version}/dags/${DAG_ID}`);
    expect(patch.body).toStrictEqual({ is_paused: false });
    expect(patch.query).toEqual(version === 'v1' ? { update_mask: 'is_paused' } : {});
    expect(fake.dagState(DAG_ID)).toEqual({ isPaused: false });

    expect(await client.pauseDag(DAG_ID)).toEqual({ dagId: DAG_ID, isPaused: true });
    expect(fake.dagState(DAG_ID)).toEqual({ isPaused: true });
  });

  it('triggers with a body the specification accepts and follows the run to success', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    await client.unpauseDag(DAG_ID);
    const run = await client.triggerDagRun(DAG_ID, { conf: { run_id: 'run-1' }, dagRunId: 'aoe-run-1' });
    expect(run).toMatchObject({ dagId: DAG_ID, dagRunId: 'aoe-run-1', state: 'queued', conf: { run_id: 'run-1' } });

    const trigger = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/dagRuns'))!;
    expect(trigger.status).toBe(200);
    if (version === 'v2') {
      // TriggerDAGRunPostBody: logical_date is required (nullable), so it is sent explicitly.
      expect(trigger.body).toStrictEqual({ logical_date: null, conf: { run_id: 'run-1' }, dag_run_id: 'aoe-run-1' });
    } else {
      expect(trigger.body).toStrictEqual({ conf: { run_id: 'run-1' }, dag_run_id: 'aoe-run-1' });
    }

    const updates: DagRunUpdate[] = [];
    const result = await client.followDagRun(DAG_ID, 'aoe-run-1', { ...FAST, onUpdate: (u) => void updates.push(u) });
    expect(result.run.state).toBe('success');
    expect(result.run.endDate).not.toBeNull();
    expect(result.taskInstances.map((ti) => [ti.taskId, ti.state, ti.tryNumber])).toEqual(
      TASKS.map((t) => [t.taskId, 'success', 1]),
    );
    // Task states were reported as they changed, in Airflow's order, each change once.
    const order = [null, 'scheduled', 'queued', 'running', 'success'];
    for (const task of TASKS) {
      const seen = updates.flatMap((u) => u.changed.filter((ti) => ti.taskId === task.taskId).map((ti) => ti.state));
      if (task.taskId === 'load') expect(seen[0]).toBeNull();
      expect(seen.at(-1)).toBe('success');
      const positions = seen.map((state) => order.indexOf(state));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(seen).size).toBe(seen.length);
    }
    expect(updates.length).toBeGreaterThan(TASKS.length);
    expect(updates[0].changed).toHaveLength(TASKS.length);
    expect(updates.at(-1)!.run.state).toBe('success');
  });

  it('a run of a paused DAG stays queued until the DAG is unpaused', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    const { dagRunId } = await client.triggerDagRun(DAG_ID, { conf: { run_id: 'run-paused' } });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await client.getDagRun(DAG_ID, dagRunId)).state).toBe('queued');
    expect((await client.listTaskInstances(DAG_ID, dagRunId)).every((ti) => ti.state === null)).toBe(true);

    await client.unpauseDag(DAG_ID);
    expect((await client.followDagRun(DAG_ID, dagRunId, FAST)).run.state).toBe('success');
  });

  it('clears a failed task (and its upstream_failed downstream) and the rerun succeeds', async () => {
    const fake = await startFake({ apiVersion: version });
    fake.scriptTask(DAG_ID, 'transform', ['failed', 'success']);
    const client = clientFor(fake);
    await client.unpauseDag(DAG_ID);
    const { dagRunId } = await client.triggerDagRun(DAG_ID, { conf: { run_id: 'run-2' } });

    const failed = await client.followDagRun(DAG_ID, dagRunId, FAST);
    expect(failed.run.state).toBe('failed');
    expect(Object.fromEntries(failed.taskInstances.map((ti) => [ti.taskId, ti.state]))).toEqual({
      extract: 'success',
      transform: 'failed',
      validate: 'upstream_failed',
      load: 'upstream_failed',
    });

    const cleared = await client.clearFailedTaskInstances(DAG_ID, dagRunId);
    expect(cleared.map((ti) => ti.taskId).sort()).toEqual(['load', 'transform', 'validate']);
    expect(cleared.every((ti) => ti.dagRunId === dagRunId)).toBe(true);
    const clear = fake.requests.find((r) => r.path.endsWith('/clearTaskInstances'))!;
    expect(clear.body).toStrictEqual({ dry_run: false, only_failed: true, reset_dag_runs: true, dag_run_id: dagRunId });
    expect(['queued', 'running']).toContain(fake.runState(DAG_ID, dagRunId)!.state);

    const rerun = await client.followDagRun(DAG_ID, dagRunId, FAST);
    expect(rerun.run.state).toBe('success');
    expect(rerun.taskInstances.find((ti) => ti.taskId === 'transform')).toMatchObject({
      state: 'success',
      tryNumber: 2,
    });
    expect(rerun.taskInstances.find((ti) => ti.taskId === 'extract')).toMatchObject({ state: 'success', tryNumber: 1 });
  });

  it('clears only the named tasks', async () => {
    const fake = await startFake({ apiVersion: version });
    fake.scriptTask(DAG_ID, 'load', ['failed']);
    const client = clientFor(fake);
    await client.unpauseDag(DAG_ID);
    const { dagRunId } = await client.triggerDagRun(DAG_ID, { conf: { run_id: 'run-3' } });
    expect((await client.followDagRun(DAG_ID, dagRunId, FAST)).run.state).toBe('failed');

    expect(await client.clearFailedTaskInstances(DAG_ID, dagRunId, { taskIds: ['validate'] })).toEqual([]);
    expect(fake.runState(DAG_ID, dagRunId)!.state).toBe('failed');
    expect(await client.clearFailedTaskInstances(DAG_ID, dagRunId, { taskIds: ['load'] })).toEqual([
      { taskId: 'load', dagRunId },
    ]);
    const clear = fake.requests.filter((r) => r.path.endsWith('/clearTaskInstances')).at(-1)!;
    expect(clear.body).toMatchObject({ task_ids: ['load'], dry_run: false });
    expect((await client.followDagRun(DAG_ID, dagRunId, FAST)).run.state).toBe('success');
  });

  it('pages through task instances', async () => {
    const fake = await startFake({ apiVersion: version });
    const many = Array.from({ length: 130 }, (_, i) => ({ taskId: `t${String(i).padStart(3, '0')}` }));
    fake.addDag({ dagId: 'wide', tasks: many });
    const client = clientFor(fake);
    const { dagRunId } = await client.triggerDagRun('wide');
    const tis = await client.listTaskInstances('wide', dagRunId);
    expect(tis.map((ti) => ti.taskId)).toEqual(many.map((t) => t.taskId));
    const pages = fake.requests.filter((r) => r.path.endsWith('/taskInstances'));
    expect(pages.map((r) => r.query)).toEqual([
      { limit: '100', offset: '0' },
      { limit: '100', offset: '100' },
    ]);
  });

  it('maps 401 (wrong password) to AirflowAuthError without leaking the password', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake, 'admin', 'AOE_TEST_AIRFLOW_WRONG');
    const error = await client.getDag(DAG_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowAuthError);
    expect(error).toMatchObject({ name: 'AirflowAuthError', code: 'airflow.auth', status: 401, retryable: false });
    expect(everything(error)).not.toContain(WRONG_PASSWORD);
    expect(everything(error)).not.toContain(Buffer.from(`admin:${WRONG_PASSWORD}`).toString('base64'));
    expect(fake.requests.every((r) => r.status === 401)).toBe(true);
    expect(fake.requests).toHaveLength(1); // the password did not change: no pointless retry
  });

  it('maps 403 to AirflowForbiddenError', async () => {
    const fake = await startFake({ apiVersion: version });
    const viewer = clientFor(fake, 'viewer', 'AOE_TEST_AIRFLOW_VIEWER');
    expect(await viewer.getDag(DAG_ID)).toMatchObject({ isPaused: true });
    const error = await viewer.unpauseDag(DAG_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowForbiddenError);
    expect(error).toMatchObject({ status: 403, method: 'PATCH', path: `/api/${version}/dags/${DAG_ID}` });
    expect(everything(error)).not.toContain(VIEWER_PASSWORD);
    expect(fake.dagState(DAG_ID)).toEqual({ isPaused: true });
  });

  it('maps 404 to AirflowNotFoundError', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    await expect(client.unpauseDag('no_such_dag')).rejects.toBeInstanceOf(AirflowNotFoundError);
    const error = await client.getDagRun(DAG_ID, 'no-such-run').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowNotFoundError);
    expect((error as AirflowError).detail).toContain('no-such-run');
    await expect(client.clearFailedTaskInstances(DAG_ID, 'no-such-run')).rejects.toBeInstanceOf(AirflowNotFoundError);
    await expect(client.triggerDagRun('no_such_dag')).rejects.toBeInstanceOf(AirflowNotFoundError);
  });

  it('maps 409 (run id taken) to AirflowConflictError', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    await client.triggerDagRun(DAG_ID, { dagRunId: 'dup' });
    const error = await client.triggerDagRun(DAG_ID, { dagRunId: 'dup' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowConflictError);
    expect(error).toMatchObject({ status: 409, code: 'airflow.conflict' });
    expect((error as Error).message).toContain('dup');
  });

  it(`maps ${version === 'v2' ? '422' : '400'} (invalid request) to AirflowValidationError with Airflow's explanation`, async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    const error = await client.triggerDagRun(DAG_ID, { logicalDate: 'yesterday' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowValidationError);
    const invalid = error as AirflowValidationError;
    expect(invalid.message).toContain('logical_date');
    if (version === 'v2') {
      expect(invalid.status).toBe(422);
      expect(invalid.issues.length).toBeGreaterThan(0);
      expect(invalid.issues[0].loc).toEqual(['body', 'logical_date']);
    } else {
      expect(invalid.status).toBe(400);
      expect(invalid.title).toBe('Bad Request');
      expect(invalid.detail).toContain('logical_date');
    }
    expect(everything(error)).not.toContain(ADMIN_PASSWORD);
  });

  it('accepts a valid logical date and a note', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    const run = await client.triggerDagRun(DAG_ID, { logicalDate: '2025-01-02T03:04:05Z', note: 'backfill' });
    expect(Date.parse(run.logicalDate!)).toBe(Date.parse('2025-01-02T03:04:05Z'));
    expect(fake.requests.at(-1)!.body).toMatchObject({ note: 'backfill', logical_date: '2025-01-02T03:04:05Z' });
  });

  it('stops following when the signal is aborted', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    const { dagRunId } = await client.triggerDagRun(DAG_ID); // paused: stays queued
    const controller = new AbortController();
    const reason = new Error('dispatcher shutting down');
    let updates = 0;
    const onUpdate = (): void => {
      updates += 1;
      setTimeout(() => controller.abort(reason), 40); // several polls later
    };
    await expect(client.followDagRun(DAG_ID, dagRunId, { ...FAST, signal: controller.signal, onUpdate })).rejects.toBe(
      reason,
    );
    expect(updates).toBe(1); // nothing changed after the first poll
    expect(
      fake.requests.filter((r) => r.path.endsWith(`/dagRuns/${encodeURIComponent(dagRunId)}`)).length,
    ).toBeGreaterThan(1);
    await expect(client.followDagRun(DAG_ID, dagRunId, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('rides out transient 503s while following, and gives up after too many', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    await client.unpauseDag(DAG_ID);
    const { dagRunId } = await client.triggerDagRun(DAG_ID);
    fake.injectFault({ status: 503, times: 3, match: /dagRuns/ });
    expect((await client.followDagRun(DAG_ID, dagRunId, FAST)).run.state).toBe('success');

    fake.injectFault({ status: 503, times: 10, match: /dagRuns/ });
    const error = await client
      .followDagRun(DAG_ID, dagRunId, { ...FAST, maxConsecutiveErrors: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowUnavailableError);
    expect(error).toMatchObject({ status: 503, retryable: true, errorClass: 'transient-network' });
  });

  it('does not retry errors that are not transient while following', async () => {
    const fake = await startFake({ apiVersion: version });
    const client = clientFor(fake);
    await expect(client.followDagRun(DAG_ID, 'missing', FAST)).rejects.toBeInstanceOf(AirflowNotFoundError);
    expect(fake.requests).toHaveLength(version === 'v2' ? 2 : 1); // v2: + /auth/token
  });
});

describe('Airflow 3 JWT', () => {
  it('logs in once, sends the token as Bearer, and renews it when it expires mid-follow', async () => {
    const fake = await startFake({ apiVersion: 'v2', tokenTtlMs: 80, stepMs: 12 });
    const client = clientFor(fake);
    await client.unpauseDag(DAG_ID);
    expect(fake.tokenRequests).toBe(1);
    const login = fake.requests[0];
    expect(login).toMatchObject({ method: 'POST', path: '/auth/token', status: 201 });
    expect(login.body).toStrictEqual({ username: 'admin', password: ADMIN_PASSWORD });

    const { dagRunId } = await client.triggerDagRun(DAG_ID, { conf: { run_id: 'run-jwt' } });
    const result = await client.followDagRun(DAG_ID, dagRunId, FAST);
    expect(result.run.state).toBe('success');
    const rejected = fake.requests.filter((r) => r.status === 401).length;
    expect(rejected).toBeGreaterThanOrEqual(2);
    // One new token per rejection: the request that got 401 was retried once with a fresh token.
    expect(fake.tokenRequests).toBe(rejected + 1);
    expect(fake.requests.filter((r) => r.path !== '/auth/token' && r.status === 200).length).toBeGreaterThan(rejected);
  });

  it('concurrent requests that hit an expired token share one renewal', async () => {
    const fake = await startFake({ apiVersion: 'v2' });
    const client = clientFor(fake);
    await client.getDag(DAG_ID);
    fake.revokeTokens();
    await Promise.all(Array.from({ length: 5 }, () => client.getDag(DAG_ID)));
    expect(fake.tokenRequests).toBe(2);
  });

  it('renews once; when the fresh token is refused too, fails with AirflowAuthError', async () => {
    const fake = await startFake({ apiVersion: 'v2', tokenTtlMs: 0 });
    const client = clientFor(fake);
    const error = await client.getDag(DAG_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowAuthError);
    expect(fake.tokenRequests).toBe(2);
    expect(fake.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/auth/token 201',
      `/api/v2/dags/${DAG_ID} 401`,
      '/auth/token 201',
      `/api/v2/dags/${DAG_ID} 401`,
    ]);
    expect(everything(error)).not.toContain(ADMIN_PASSWORD);
  });

  it('a refused login is an AirflowAuthError naming /auth/token, without the password', async () => {
    const fake = await startFake({ apiVersion: 'v2' });
    const client = clientFor(fake, 'admin', 'AOE_TEST_AIRFLOW_WRONG');
    const error = await client.unpauseDag(DAG_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirflowAuthError);
    expect(error).toMatchObject({ path: '/auth/token', detail: 'Invalid credentials' });
    expect(everything(error)).not.toContain(WRONG_PASSWORD);
    // The next call logs in again rather than reusing a failed login.
    await expect(client.getDag(DAG_ID)).rejects.toBeInstanceOf(AirflowAuthError);
    expect(fake.requests.filter((r) => r.path === '/auth/token')).toHaveLength(2);
  });
});
