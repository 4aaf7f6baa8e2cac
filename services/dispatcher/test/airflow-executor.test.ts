import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Messages, type TargetSpec } from '@aoe/contracts';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { uniqueName } from '@aoe/testing';
import type { Client } from 'pg';
import { DispatcherModule } from '../src';
import { dagIdFor } from '../src/airflow';
import { dagRunIdFor } from '../src/executor/airflow-dag-run';
import { AIRFLOW_EXECUTOR_SETTINGS, type AirflowExecutorOptions } from '../src/executor/airflow.executor';
import { readExecutorSelection, type AirflowSelection } from '../src/executor/airflow.settings';
import { airflowExecutorOverrides } from '../src/executor/airflow.setup';
import { FakeAirflow, type TaskToRun } from './fake-airflow/fake-airflow';
import { FakeScheduler } from './fake-airflow/fake-scheduler';
import {
  eventually,
  expectedChecksum,
  pgClient,
  plan,
  setUpPipeline,
  tableChecksum,
  tableExists,
  writeEventsCsv,
  type EventRow,
} from './helpers';

/**
 * The Airflow executor end to end: real NATS and PostgreSQL, the fake Airflow (its REST
 * API checked against the published specifications) and a fake scheduler that parses the
 * DAG specs with the real DAG factory and runs each task's BashOperator command, i.e.
 * the real worker (`aoe worker run-task`, built CLI), one process per task instance.
 */

jest.setTimeout(300_000);

const REPO = resolve(__dirname, '..', '..', '..');
const FACTORY = join(REPO, 'deploy/airflow/dags/aoe_dag_factory.py');
const CLI = join(REPO, 'services/cli/bin/aoe.js');
const PASSWORD = 'airflow-executor-S3cret';
/** Generous: a busy machine parses slowly. The never-loaded test shortens it for its run. */
const DAG_LOAD_TIMEOUT_MS = 120_000;

process.env.AOE_PROGRESS_INTERVAL_MS = '50';
process.env.AOE_CANCEL_POLL_MS = '50';
process.env.AOE_SCHEDULER_INTERVAL_MS = '0';
process.env.AOE_AIRFLOW_PASSWORD = PASSWORD;

type Dispatcher = Awaited<ReturnType<TestMesh['start']>>;

const targetSchema = uniqueName('afx_target');
let pg: Client;
let csv: { path: string; rows: EventRow[] };
/** What the embedded executor loads for the plan: the reference for the Airflow runs. */
let embedded: { count: number; md5: string | null };

function target(mesh: TestMesh, name: string): TargetSpec {
  return { kind: 'postgres', connection: { url: mesh.databaseUrl }, table: { schema: targetSchema, name } };
}

async function runToEnd(dispatcher: Dispatcher, pipelineId: string, runId: string = randomUUID()) {
  const { store, bus } = dispatcher.platform;
  await bus.publish(Messages.RunRequested, { runId, pipelineId, trigger: 'manual' }, { correlationId: runId });
  return eventually(
    async () => {
      const run = await store.runs.get(runId);
      return run && ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    },
    `run ${runId} to end`,
    120_000,
  );
}

beforeAll(async () => {
  // The worker runs from the built CLI; build it (and what it references) first, one build at a time.
  const args = ['tsc', '-b', 'services/cli'];
  const locked = spawnSync('flock', ['/tmp/aoe-tsc.lock', 'npx', ...args], { cwd: REPO, stdio: 'ignore' });
  if (locked.error) spawnSync('npx', args, { cwd: REPO, stdio: 'ignore' });
  expect(existsSync(join(REPO, 'services/cli/dist/src/main.js'))).toBe(true);

  csv = await writeEventsCsv(3_000, { withNulls: true });
  const mesh = await createTestMesh('afx_ref');
  try {
    const dispatcher = await mesh.start('dispatcher', [DispatcherModule]);
    pg = await pgClient(mesh.databaseUrl);
    const { pipelineId } = await setUpPipeline(dispatcher.platform.store, dispatcher.platform.bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: target(mesh, 'embedded'),
      planFor: (ids) => plan({ ...ids, target: target(mesh, 'embedded') }),
    });
    expect((await runToEnd(dispatcher, pipelineId)).status).toBe('succeeded');
    embedded = await tableChecksum(pg, `"${targetSchema}".embedded`);
    expect(embedded).toEqual({ count: 3_000, md5: expectedChecksum(csv.rows) });
  } finally {
    await mesh.stop();
  }
});

afterAll(async () => {
  await pg.query(`DROP SCHEMA IF EXISTS "${targetSchema}" CASCADE`);
  await pg.end();
});

describe('the dispatcher with AOE_EXECUTOR=airflow', () => {
  const main = join(REPO, 'services/dispatcher/dist/src/main.js');

  async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
    try {
      await promisify(execFile)(process.execPath, [main], {
        env: { PATH: process.env.PATH, ...env },
        timeout: 120_000,
      });
      return { code: 0, stderr: '' };
    } catch (error) {
      const e = error as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }

  it('fails at start with one line naming the bad settings, never a secret', async () => {
    const missing = await start({ AOE_EXECUTOR: 'airflow', AOE_AIRFLOW_PASSWORD: PASSWORD });
    expect(missing).toEqual({
      code: 1,
      stderr:
        'dispatcher failed to start: invalid Airflow settings: AOE_AIRFLOW_URL is not set; ' +
        'AOE_AIRFLOW_USERNAME is not set; AOE_DAG_SPEC_DIR is not set\n',
    });
    const inUrl = await start({
      AOE_EXECUTOR: 'airflow',
      AOE_AIRFLOW_URL: `http://aoe:${PASSWORD}@127.0.0.1:1`,
      AOE_AIRFLOW_USERNAME: 'aoe',
      AOE_AIRFLOW_PASSWORD: PASSWORD,
      AOE_DAG_SPEC_DIR: tmpdir(),
    });
    expect(inUrl.code).toBe(1);
    expect(inUrl.stderr).toMatch(/^dispatcher failed to start: invalid Airflow settings: AOE_AIRFLOW_URL: .*\n$/);
    expect(inUrl.stderr).not.toContain(PASSWORD);
    const noFile = await start({
      AOE_EXECUTOR: 'airflow',
      AOE_AIRFLOW_URL: 'http://127.0.0.1:1',
      AOE_AIRFLOW_USERNAME: 'aoe',
      AOE_AIRFLOW_PASSWORD_FILE: '/nonexistent/airflow-password',
      AOE_DAG_SPEC_DIR: tmpdir(),
    });
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(
      /^dispatcher failed to start: the Airflow password cannot be read: cannot read secret file \/nonexistent\/airflow-password: ENOENT[^\n]*\n$/,
    );
  });
});

describe.each(['v2', 'v1'] as const)('the Airflow executor on Airflow %s', (apiVersion) => {
  let fake: FakeAirflow;
  let scheduler: FakeScheduler;
  let mesh: TestMesh;
  let dispatcher: Dispatcher;
  let specDir: string;
  let beforeTask: ((task: TaskToRun) => Promise<void> | void) | undefined;

  beforeAll(async () => {
    fake = await FakeAirflow.start({
      apiVersion,
      users: [{ username: 'aoe', password: PASSWORD, role: 'admin' }],
      stepMs: 10,
    });
    specDir = await mkdtemp(join(tmpdir(), 'aoe-dag-specs-'));
    mesh = await createTestMesh(`afx_${apiVersion}`);
    scheduler = new FakeScheduler({
      airflow: fake,
      specDir,
      factory: FACTORY,
      parseDelayMs: 1_000,
      workerEnv: {
        ...process.env,
        NATS_URL: mesh.natsUrl,
        DATABASE_URL: mesh.databaseUrl,
        AOE_BUS_NAMESPACE: mesh.namespace,
        AOE_STORE_SCHEMA: mesh.schema,
        LOG_LEVEL: 'warn',
      },
      beforeTask: (task) => beforeTask?.(task),
    });
    const selection = readExecutorSelection({
      AOE_EXECUTOR: 'airflow',
      AOE_AIRFLOW_URL: fake.baseUrl,
      AOE_AIRFLOW_API_VERSION: apiVersion,
      AOE_AIRFLOW_USERNAME: 'aoe',
      AOE_AIRFLOW_PASSWORD: PASSWORD,
      AOE_DAG_SPEC_DIR: specDir,
      AOE_AIRFLOW_WORKER_COMMAND: JSON.stringify([process.execPath, CLI]),
      AOE_AIRFLOW_DAG_LOAD_TIMEOUT_MS: String(DAG_LOAD_TIMEOUT_MS),
      AOE_AIRFLOW_POLL_MS: '100',
      AOE_AIRFLOW_RETRY_DELAY_MS: '100',
    }) as AirflowSelection;
    dispatcher = await mesh.start('dispatcher', [DispatcherModule.with(await airflowExecutorOverrides(selection))]);
  });

  afterEach(() => {
    beforeTask = undefined;
    scheduler.resumeParsing();
  });

  afterAll(async () => {
    await scheduler.stop();
    await mesh.stop();
    await fake.close();
    await rm(specDir, { recursive: true, force: true });
    expect(fake.violations).toEqual([]);
  });

  /** What the executor asked Airflow about a DAG; a 401 (a v2 token expired, renewed and the call repeated) left out. */
  const dagRequests = (dagId: string) =>
    fake.requests.filter((r) => r.path.includes(`/dags/${dagId}`) && r.status !== 401);

  it('loads a CSV into PostgreSQL through Airflow: the same rows as the embedded executor', async () => {
    const { store, bus } = dispatcher.platform;
    const table = `airflow_${apiVersion}`;
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: target(mesh, table),
      planFor: (ids) => plan({ ...ids, target: target(mesh, table) }),
    });
    const run = await runToEnd(dispatcher, pipelineId);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: undefined });
    expect(run.stats).toMatchObject({ rowsRead: 3_000, rowsLoaded: 3_000 });
    expect(run.stats!.bytes).toBeGreaterThan(0);

    expect(await tableChecksum(pg, `"${targetSchema}".${table}`)).toEqual(embedded);

    const tasks = (await store.taskRuns.listByRun(run.id)).items;
    expect(tasks.map((t) => [t.taskId, t.status, t.rows])).toEqual([
      ['check', 'succeeded', 3_000],
      ['clean', 'succeeded', 3_000],
      ['extract', 'succeeded', 3_000],
      ['load', 'succeeded', 3_000],
    ]);

    // Every task instance ran the worker once, in dependency order, and it exited 0.
    const dagRunId = dagRunIdFor(run.id);
    const logs = scheduler.logs.filter((l) => l.dagRunId === dagRunId);
    expect(logs.map((l) => [l.taskId, l.tryNumber, l.exitCode])).toEqual([
      ['extract', 1, 0],
      ['clean', 1, 0],
      ['check', 1, 0],
      ['load', 1, 0],
    ]);

    // The spec was written where Airflow reads it, and the DAG was waited for: 404 until parsed.
    const dagId = dagIdFor(pipelineId);
    expect(JSON.parse(await readFile(join(specDir, `${dagId}.json`), 'utf8'))).toMatchObject({ dag_id: dagId });
    const requests = dagRequests(dagId);
    const gets = requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/dags/${dagId}`));
    expect(gets[0].status).toBe(404);
    expect(gets.at(-1)!.status).toBe(200);
    expect(requests.find((r) => r.method === 'PATCH')).toMatchObject({ status: 200, body: { is_paused: false } });
    const trigger = requests.find((r) => r.method === 'POST' && r.path.endsWith('/dagRuns'))!;
    expect(trigger.body).toEqual({
      ...(apiVersion === 'v2' ? { logical_date: null } : {}),
      conf: { run_id: run.id },
      dag_run_id: dagRunId,
    });
    expect(fake.runState(dagId, dagRunId)?.state).toBe('success');
  });

  it('clears a task that failed with a retryable error, and the rerun loads the rows', async () => {
    const { store, bus } = dispatcher.platform;
    const table = `retried_${apiVersion}`;
    const data = await writeEventsCsv(500, { from: 10_000 });
    const missing = `${data.path}.later`;
    await rename(data.path, missing);
    // The source file is there only from the second try of the load task on.
    beforeTask = async (task) => {
      if (task.taskId === 'load' && task.tryNumber === 2) await rename(missing, data.path);
    };
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: data.path, format: 'auto', compression: 'auto' },
      target: target(mesh, table),
      planFor: (ids) => plan({ ...ids, target: target(mesh, table) }),
    });
    const run = await runToEnd(dispatcher, pipelineId);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: undefined });
    expect(await tableChecksum(pg, `"${targetSchema}".${table}`)).toEqual({
      count: 500,
      md5: expectedChecksum(data.rows),
    });

    const dagRunId = dagRunIdFor(run.id);
    const loads = scheduler.logs.filter((l) => l.dagRunId === dagRunId && l.taskId === 'load');
    expect(loads.map((l) => [l.tryNumber, l.exitCode])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    expect(loads[0].output).toMatch(/no file matches/);
    const clears = dagRequests(dagIdFor(pipelineId)).filter((r) => r.path.endsWith('/clearTaskInstances'));
    expect(clears).toHaveLength(1);
    expect(clears[0]).toMatchObject({
      status: 200,
      body: { dry_run: false, only_failed: true, dag_run_id: dagRunId },
    });
    // The worker recorded the first try's failure on the extract, and the second attempt's success.
    const tasks = Object.fromEntries((await store.taskRuns.listByRun(run.id)).items.map((t) => [t.taskId, t]));
    expect(tasks.extract).toMatchObject({ status: 'succeeded', attempt: 2, rows: 500 });
    expect(tasks.load).toMatchObject({ status: 'succeeded', attempt: 2, rows: 500 });
  });

  it('cancels a run mid-load: the DAG run is marked failed, the worker stops, the target is left as it was', async () => {
    const { store, bus } = dispatcher.platform;
    const table = `cancelled_${apiVersion}`;
    const data = await writeEventsCsv(3_000);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: data.path, format: 'auto', compression: 'auto' },
      target: target(mesh, table),
      planFor: (ids) => plan({ ...ids, target: target(mesh, table) }),
    });
    // A first, complete load: the state to keep.
    expect((await runToEnd(dispatcher, pipelineId)).status).toBe('succeeded');
    const before = await tableChecksum(pg, `"${targetSchema}".${table}`);
    expect(before).toEqual({ count: 3_000, md5: expectedChecksum(data.rows) });

    // The next run of the pipeline finds a big file: long enough a load to cancel.
    const big = await writeEventsCsv(400_000, { from: 1_000_000 });
    await rename(big.path, data.path);
    const runId = randomUUID();
    await bus.publish(Messages.RunRequested, { runId, pipelineId, trigger: 'manual' }, { correlationId: runId });
    await eventually(
      async () => {
        const load = await store.taskRuns.get(runId, 'load');
        return load?.status === 'running' && (load.rows ?? 0) > 0 ? load : undefined;
      },
      'the load to be under way',
      120_000,
    );
    await bus.publish(Messages.RunCancelRequested, { runId, reason: 'test says stop' }, { correlationId: runId });
    const run = await eventually(async () => {
      const r = await store.runs.get(runId);
      return r?.status === 'cancelled' ? r : undefined;
    }, 'the run to be cancelled');
    expect(run.error).toMatchObject({ code: 'CANCELLED' });

    const dagId = dagIdFor(pipelineId);
    const dagRunId = dagRunIdFor(runId);
    const patch = dagRequests(dagId).find((r) => r.method === 'PATCH' && r.path.endsWith(`/dagRuns/${dagRunId}`));
    expect(patch).toMatchObject({ status: 200, body: { state: 'failed' } });
    expect(fake.runState(dagId, dagRunId)).toMatchObject({ state: 'failed', tasks: { load: 'failed' } });

    await scheduler.idle();
    const load = scheduler.logs.find((l) => l.dagRunId === dagRunId && l.taskId === 'load')!;
    // Terminated as Airflow does it: SIGTERM to the task's process group.
    expect(load.terminated).toBe(true);
    expect({ exitCode: load.exitCode, output: load.output }).toMatchObject({ exitCode: 130 });
    // The worker rolled its load back and exited 130: the load's transaction never committed.
    expect(await tableChecksum(pg, `"${targetSchema}".${table}`)).toEqual(before);
    const tasks = (await store.taskRuns.listByRun(runId)).items;
    expect(tasks.filter((t) => t.status !== 'cancelled')).toEqual([]);
  });

  it('fails a run with a clear error when Airflow never loads the DAG', async () => {
    const { store, bus } = dispatcher.platform;
    scheduler.pauseParsing();
    const settings = dispatcher.app.get<AirflowExecutorOptions>(AIRFLOW_EXECUTOR_SETTINGS);
    settings.dagLoadTimeoutMs = 5_000;
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: target(mesh, `never_${apiVersion}`),
      planFor: (ids) => plan({ ...ids, target: target(mesh, `never_${apiVersion}`) }),
    });
    const run = await runToEnd(dispatcher, pipelineId).finally(() => {
      settings.dagLoadTimeoutMs = DAG_LOAD_TIMEOUT_MS;
    });
    const dagId = dagIdFor(pipelineId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ class: 'timeout', code: 'airflow.dag-not-loaded', retryable: true });
    expect(run.error!.message).toBe(
      `Airflow has not loaded DAG "${dagId}" (plan v1) within 5 s of its spec being written to ${specDir}: ` +
        `it answered 404 throughout. Check that the DAG factory reads that location (AOE_DAG_SPEC_DIR of the ` +
        `DAG processor) and Airflow's DAG import errors`,
    );
    const requests = dagRequests(dagId);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.filter((r) => r.method !== 'GET' || r.status !== 404)).toEqual([]);
    expect(await tableExists(pg, `"${targetSchema}".never_${apiVersion}`)).toBe(false);
  });
});
