import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PipelinePlan } from '@aoe/contracts';
import {
  airflowKey,
  createAirflowClient,
  DagSpec,
  dagRunConf,
  FolderDagSpecStore,
  planTaskIds,
  renderDagSpec,
  RUN_ID_TEMPLATE,
} from '../src/airflow';
import { FakeAirflow } from './fake-airflow/fake-airflow';

const run = promisify(execFile);
const REPO = resolve(__dirname, '..', '..', '..');
const FIXTURE = join(REPO, 'deploy', 'airflow', 'tests', 'fixtures', 'aoe__orders.json');
const FACTORY_DIR = join(REPO, 'deploy', 'airflow', 'dags');

function plan(overrides: Record<string, unknown> = {}): PipelinePlan {
  return PipelinePlan.parse({
    pipelineId: 'orders',
    sourceId: 'pg-orders',
    version: 3,
    target: { kind: 'warehouse', table: { name: 'orders' } },
    tasks: [
      { id: 'extract', kind: 'extract', params: { mode: 'incremental', cursorColumn: 'updated_at' } },
      { id: 'transform', kind: 'transform', dependsOn: ['extract'], params: { operations: [] } },
      { id: 'validate', kind: 'validate', dependsOn: ['transform'], params: { rules: [], onFailure: 'fail' } },
      { id: 'load', kind: 'load', dependsOn: ['validate'], params: { mode: 'merge', primaryKey: ['id'] } },
    ],
    settings: { batchSize: 1000, readParallelism: 1, loadConcurrency: 1 },
    schedule: '0 * * * *',
    createdBy: 'rules',
    createdAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aoe-dag-specs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderDagSpec', () => {
  it('renders the shape the DAG factory reads (the Python tests use the same fixture)', async () => {
    const golden: unknown = JSON.parse(await readFile(FIXTURE, 'utf8'));
    expect(renderDagSpec(plan())).toEqual(golden);
  });

  it('runs the worker for each plan task with the run id from the DAG run conf', () => {
    const spec = renderDagSpec(plan());
    expect(spec.tasks[3].command).toEqual(['aoe', 'worker', 'run-task', '--run', RUN_ID_TEMPLATE, '--task', 'load']);
    expect(RUN_ID_TEMPLATE).toBe("{{ dag_run.conf['run_id'] }}");
    expect(dagRunConf('run-42')).toEqual({ run_id: 'run-42' });
    // The plan's schedule stays with the dispatcher unless asked otherwise.
    expect(spec.schedule).toBeNull();
  });

  it('takes options', () => {
    const spec = renderDagSpec(plan(), {
      dagIdPrefix: 'etl.',
      workerCommand: ['/usr/local/bin/aoe', '--config', '/etc/aoe.yaml'],
      schedule: '@hourly',
      tags: ['team:data', 'aoe'],
      maxActiveRuns: 2,
      retries: 1,
    });
    expect(spec).toMatchObject({
      dag_id: 'etl.orders',
      schedule: '@hourly',
      tags: ['aoe', 'pipeline:orders', 'team:data'],
      max_active_runs: 2,
      retries: 1,
    });
    expect(spec.tasks[0].command.slice(0, 4)).toEqual(['/usr/local/bin/aoe', '--config', '/etc/aoe.yaml', 'worker']);
  });

  it('sanitises ids Airflow would refuse, keeping the plan id for the worker', () => {
    const spec = renderDagSpec(
      plan({
        pipelineId: 'Orders from EU/2025',
        tasks: [
          { id: 'read orders', kind: 'extract', params: { mode: 'full' } },
          { id: 'read customers', kind: 'extract', params: { mode: 'full' } },
          { id: 'load', kind: 'load', dependsOn: ['read orders', 'read customers'], params: { mode: 'append' } },
        ],
      }),
    );
    expect(spec.dag_id).toMatch(/^aoe__Orders_from_EU_2025_[0-9a-f]{8}$/);
    const [orders, customers, load] = spec.tasks;
    expect(orders).toMatchObject({
      plan_task_id: 'read orders',
      task_id: expect.stringMatching(/^read_orders_[0-9a-f]{8}$/),
    });
    expect(orders.command.at(-1)).toBe('read orders');
    expect(load.upstream).toEqual([orders.task_id, customers.task_id]);
    expect(planTaskIds(spec).get(orders.task_id)).toBe('read orders');
    expect(airflowKey('ok-id_1.2')).toBe('ok-id_1.2');
    expect(airflowKey('x'.repeat(300))).toHaveLength(249);
    expect(airflowKey('a b')).not.toBe(airflowKey('a_b'));
    expect(spec.tags[1]).toBe('pipeline:Orders from EU/2025');
  });

  it('refuses options that would make an invalid spec', () => {
    expect(() => renderDagSpec(plan(), { dagIdPrefix: '.' })).toThrow();
    expect(() => renderDagSpec(plan(), { workerCommand: [''] })).toThrow();
    expect(() => DagSpec.parse({ ...renderDagSpec(plan()), tasks: [] })).toThrow();
    const cyclic = renderDagSpec(plan());
    cyclic.tasks[0].upstream = ['load'];
    expect(() => DagSpec.parse(cyclic)).toThrow('cycle');
  });
});

describe('FolderDagSpecStore', () => {
  it('writes <dag_id>.json, reads it back, lists and removes it', async () => {
    const store = new FolderDagSpecStore(join(dir, 'nested', 'specs'));
    expect(await store.list()).toEqual([]);
    const spec = renderDagSpec(plan());
    const where = await store.put(spec);
    expect(where).toBe(join(dir, 'nested', 'specs', 'aoe__orders.json'));
    expect(JSON.parse(await readFile(where, 'utf8'))).toEqual(spec);
    expect(await store.get('aoe__orders')).toEqual(spec);
    expect(await store.get('aoe__other')).toBeUndefined();
    await store.put(renderDagSpec(plan({ pipelineId: 'customers' })));
    expect(await store.list()).toEqual(['aoe__customers', 'aoe__orders']);
    expect(await store.remove('aoe__orders')).toBe(true);
    expect(await store.remove('aoe__orders')).toBe(false);
    expect(await store.list()).toEqual(['aoe__customers']);
  });

  it('refuses invalid specs and ids', async () => {
    const store = new FolderDagSpecStore(dir);
    await expect(store.put({ ...renderDagSpec(plan()), spec_version: 2 } as unknown as DagSpec)).rejects.toThrow();
    await expect(store.get('../etc/passwd')).rejects.toThrow('not a valid DAG id');
    await expect(store.remove('.hidden')).rejects.toThrow('not a valid DAG id');
    expect(await readdir(dir)).toEqual([]);
  });

  it('replaces atomically: a concurrent reader only ever sees a whole spec', async () => {
    const store = new FolderDagSpecStore(dir);
    await store.put(renderDagSpec(plan()));
    const path = join(dir, 'aoe__orders.json');
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const spec = DagSpec.parse(JSON.parse(await readFile(path, 'utf8')));
        expect(spec.dag_id).toBe('aoe__orders');
        reads += 1;
      }
    })();
    for (let version = 1; version <= 40; version += 1) {
      await Promise.all([
        store.put(renderDagSpec(plan({ version }))),
        store.put(renderDagSpec(plan({ version: version + 100 }))),
      ]);
    }
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual(['aoe__orders.json']); // no temporary files left behind
  });

  it('leaves no temporary file when the rename fails', async () => {
    const store = new FolderDagSpecStore(dir);
    await mkdir(join(dir, 'aoe__orders.json', 'occupied'), { recursive: true });
    await expect(store.put(renderDagSpec(plan()))).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['aoe__orders.json']);
    await writeFile(join(dir, 'file'), 'x');
    await expect(new FolderDagSpecStore(join(dir, 'file')).list()).rejects.toThrow();
    await expect(new FolderDagSpecStore(dir).get('aoe__orders')).rejects.toThrow();
    await expect(new FolderDagSpecStore(dir).remove('aoe__orders')).rejects.toThrow();
  });
});

describe('a rendered spec through the Python DAG factory and the fake Airflow', () => {
  it('the factory builds the same DAG the dispatcher rendered', async () => {
    const store = new FolderDagSpecStore(dir);
    const spec = renderDagSpec(
      plan({
        tasks: [
          { id: 'a', kind: 'extract', params: { mode: 'full' } },
          { id: 'b', kind: 'extract', params: { mode: 'full' } },
          { id: 'load it', kind: 'load', dependsOn: ['a', 'b'], params: { mode: 'append' } },
        ],
      }),
    );
    await store.put(spec);
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(FACTORY_DIR)})`,
      'import aoe_dag_factory as f',
      'print(json.dumps([f.definition(s, {"operator": "bash"}) for s in f.load_specs(sys.argv[1])], default=str))',
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script, dir], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const [definition] = JSON.parse(stdout) as Array<{
      dag_id: string;
      tasks: Array<{
        task_id: string;
        upstream: string[];
        kwargs: { bash_command: string; env: Record<string, string> };
      }>;
    }>;
    expect(definition.dag_id).toBe(spec.dag_id);
    expect(definition.tasks.map((t) => [t.task_id, t.upstream])).toEqual(
      spec.tasks.map((t) => [t.task_id, t.upstream]),
    );
    const load = definition.tasks[2];
    expect(load.kwargs.bash_command).toBe(`aoe worker run-task --run "$AOE_ARG_4" --task 'load it'`);
    expect(load.kwargs.env).toEqual({ AOE_ARG_4: RUN_ID_TEMPLATE });
  });

  it('the fake Airflow runs a DAG built from the spec, triggered with the run id in conf', async () => {
    const fake = await FakeAirflow.start({ apiVersion: 'v2', stepMs: 5 });
    try {
      const spec = renderDagSpec(plan());
      fake.addDagFromSpec(spec);
      process.env.AOE_TEST_AIRFLOW_SPEC = 'admin-password';
      const client = createAirflowClient({
        baseUrl: fake.baseUrl,
        apiVersion: 'v2',
        username: 'admin',
        password: { env: 'AOE_TEST_AIRFLOW_SPEC' },
      });
      expect(await client.getDag(spec.dag_id)).toEqual({ dagId: spec.dag_id, isPaused: true });
      await client.unpauseDag(spec.dag_id);
      const started = await client.triggerDagRun(spec.dag_id, { conf: dagRunConf('run-7') });
      const done = await client.followDagRun(spec.dag_id, started.dagRunId, { backoff: { initialMs: 5, maxMs: 20 } });
      expect(done.run).toMatchObject({ state: 'success', conf: { run_id: 'run-7' } });
      const ids = planTaskIds(spec);
      expect(done.taskInstances.map((ti) => ids.get(ti.taskId))).toEqual(['extract', 'transform', 'validate', 'load']);
      expect(fake.violations).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
