import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import type { PipelinePlan } from '@aoe/contracts';
import { connectMeshPlatform, type Platform } from '@aoe/service-kit';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { runCli } from '../src/cli';
import { serve } from '../src/commands/serve.command';
import { aoe, checksum, checksumSql, csvOf, events, REPO_ROOT, tempDir, writeText } from './support';

jest.setTimeout(180_000);

describe('aoe analyze, plan, runs, decisions, sql', () => {
  let home: string;
  let file: string;

  beforeAll(async () => {
    home = await tempDir('cmds');
    file = await writeText(
      join(await tempDir('cmds-data'), 'people.csv'),
      'id,email,age\n1,ana@example.com,31\n2,bo@example.com,42\n3,cy@example.com,\n',
    );
  });

  it('analyze prints the profile, as a table and as JSON', async () => {
    const text = await aoe(['analyze', file], { AOE_HOME: home });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/column\s+type\s+nullable/);
    expect(text.stdout).toContain('email');
    expect(text.stdout).toMatch(/key candidates: \(id\)/);
    const json = await aoe(['analyze', file, '--json'], { AOE_HOME: home });
    const parsed = JSON.parse(json.stdout) as {
      profile: { columns: Array<{ name: string; piiHints: Array<{ kind: string }> }> };
    };
    expect(parsed.profile.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'email', 'age']);
    expect(parsed.profile.columns[1].piiHints[0].kind).toBe('email');
  });

  it('plan shows the tasks and the decisions behind them, without running', async () => {
    const text = await aoe(['plan', file], { AOE_HOME: home });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/task\s+kind\s+after\s+what/);
    expect(text.stdout).toMatch(/planner\s+decided by rules/);
    expect(text.stdout).toContain('why: ');
    const json = JSON.parse((await aoe(['plan', file, '--json'], { AOE_HOME: home })).stdout) as {
      target: string;
      plan: { tasks: Array<{ kind: string }> };
      decisions: Array<{ agent: string }>;
    };
    expect(json.target).toBe('warehouse:public.people');
    expect(json.plan.tasks.some((t: { kind: string }) => t.kind === 'load')).toBe(true);
    expect(json.decisions.map((d: { agent: string }) => d.agent)).toEqual(
      expect.arrayContaining(['planner', 'optimizer']),
    );
    expect((await aoe(['runs'], { AOE_HOME: home })).stdout).toContain('no runs yet');
  });

  it('ingest on a terminal shows bars; runs, decisions and sql read what it did', async () => {
    const stdout = new Sink(false);
    const stderr = new Sink(true);
    const code = await runCli(['ingest', file], {
      stdout,
      stderr,
      env: { ...process.env, AOE_HOME: home },
      cwd: process.cwd(),
    });
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/^loaded 3 rows into warehouse:public\.people in /);
    expect(stderr.text).toMatch(/load \[/);

    const runs = await aoe(['runs'], { AOE_HOME: home });
    expect(runs.stdout).toMatch(/run\s+pipeline\s+status/);
    expect(runs.stdout).toContain('succeeded');
    const runId = /^([0-9a-f-]{36})\s/m.exec(runs.stdout.split('\n').slice(2).join('\n'))![1];
    const decisions = await aoe(['decisions', runId], { AOE_HOME: home });
    expect(decisions.stdout).toMatch(/source-analysis\s+decided by rules/);
    expect((await aoe(['decisions', 'no-such-run'], { AOE_HOME: home })).code).toBe(2);
    expect((await aoe(['runs', '--limit', '0'], { AOE_HOME: home })).code).toBe(2);

    const sql = await aoe(['sql', 'select id, email from people order by id'], { AOE_HOME: home });
    expect(sql.stdout.split('\n').slice(0, 3).join('\n')).toMatch(/^id\s+email\n-+\s+-+\n1\s+ana@example.com/);
    expect(sql.stdout).toContain('(3 rows)');
    const several = await aoe(['sql', 'create table t (a int); insert into t values (1); select a from t'], {
      AOE_HOME: home,
    });
    expect(several.stdout).toContain('(1 row)');
    expect((await aoe(['sql', 'insert into t values (2)'], { AOE_HOME: home })).stdout).toMatch(/INSERT|OK/);
    const bad = await aoe(['sql', 'select * from nowhere'], { AOE_HOME: home });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('"nowhere" does not exist');
  });
});

class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('aoe serve', () => {
  it('refuses an unknown service and starts a known one', async () => {
    const unknown = await aoe(['serve', 'nothing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown service "nothing"');
    const started: string[] = [];
    void serve('planner', undefined, async (name) => {
      started.push(name);
      return undefined as never;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['planner']);
    await expect(serve('dispatcher', undefined, async () => Promise.reject(new Error('no NATS')))).rejects.toThrow(
      'dispatcher failed to start: no NATS',
    );
    const airflowWithoutUrl = await aoe(['serve', 'dispatcher'], {
      AOE_EXECUTOR: 'airflow',
      AOE_AIRFLOW_URL: '',
      AOE_AIRFLOW_PASSWORD: 'hunter2-secret',
    });
    expect(airflowWithoutUrl.code).toBe(3);
    expect(airflowWithoutUrl.stderr).toMatch(
      /^aoe: dispatcher failed to start: invalid Airflow settings: AOE_AIRFLOW_URL/,
    );
    expect(airflowWithoutUrl.stderr).not.toContain('hunter2');
  });
});

describe('aoe worker run-task: one chain of a run, in mesh mode', () => {
  let mesh: TestMesh;
  let platform: Platform;
  let pg: Client;
  const targetSchema = uniqueName('cli_worker');
  let env: Record<string, string>;

  beforeAll(async () => {
    mesh = await createTestMesh('worker');
    platform = await connectMeshPlatform('test', {
      natsUrl: mesh.natsUrl,
      databaseUrl: mesh.databaseUrl,
      namespace: mesh.namespace,
      schema: mesh.schema,
    });
    pg = new Client({ connectionString: mesh.databaseUrl });
    await pg.connect();
    env = {
      NATS_URL: mesh.natsUrl,
      DATABASE_URL: mesh.databaseUrl,
      AOE_BUS_NAMESPACE: mesh.namespace,
      AOE_STORE_SCHEMA: mesh.schema,
    };
  });
  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${targetSchema}" CASCADE`);
    await pg.end();
    await platform.bus.close();
    await platform.store.close();
    await mesh.stop();
  });

  async function runOf(rows: string, table: string, rules: PipelinePlan['tasks'][number][] = []): Promise<string> {
    const { store } = platform;
    const path = await writeText(join(await tempDir('worker'), `${table}.csv`), rows);
    const source = await store.sources.create({ spec: { kind: 'file', path, format: 'auto', compression: 'auto' } });
    const target = {
      kind: 'postgres' as const,
      connection: { url: mesh.databaseUrl },
      table: { schema: targetSchema, name: table },
    };
    const pipeline = await store.pipelines.create({ sourceId: source.id, name: table, target });
    const plan: PipelinePlan = {
      pipelineId: pipeline.id,
      sourceId: source.id,
      version: 1,
      target,
      policy: { maskPii: false, schemaEvolution: 'additive' },
      tasks: [
        { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
        ...rules,
        {
          id: 'load',
          kind: 'load',
          dependsOn: [rules.length ? rules.at(-1)!.id : 'extract'],
          params: { mode: 'append', schemaEvolution: 'additive' },
        },
      ],
      settings: { batchSize: 100, readParallelism: 1, loadConcurrency: 1 },
      createdBy: 'rules',
      createdAt: new Date().toISOString(),
    };
    await store.plans.save(plan);
    const run = await store.runs.create({ id: randomUUID(), pipelineId: pipeline.id, planVersion: 1, trigger: 'api' });
    return run.id;
  }

  it('loads the chain of a load task and records its tasks; other tasks are fused into it', async () => {
    const runId = await runOf(csvOf(events(250)), 'loaded');
    const fused = await aoe(['worker', 'run-task', '--run', runId, '--task', 'extract'], env);
    expect(fused.code).toBe(0);
    expect(fused.stdout).toContain('runs inside the chain of load task "load"');

    const ran = await aoe(['worker', 'run-task', '--run', runId, '--task', 'load'], env);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/task "load" succeeded: 250 rows into postgres:\/\//);
    const rows = (await pg.query(`SELECT id::int AS id, name, amount::int AS amount FROM "${targetSchema}".loaded`))
      .rows;
    expect(rows).toHaveLength(250);
    expect((await pg.query(checksumSql(`"${targetSchema}".loaded`))).rows[0]).toEqual({
      count: 250,
      md5: checksum(events(250)),
    });
    const tasks = (await platform.store.taskRuns.listByRun(runId)).items.map((t) => [t.taskId, t.status, t.attempt]);
    expect(tasks).toEqual([
      ['extract', 'succeeded', 1],
      ['load', 'succeeded', 1],
    ]);

    // Airflow retries the task: the next attempt, and the load ledger writes nothing twice.
    const again = await aoe(['worker', 'run-task', '--run', runId, '--task', 'load', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'succeeded', taskId: 'load' });
    expect((await platform.store.taskRuns.get(runId, 'load'))!.attempt).toBe(2);
    expect((await pg.query(`SELECT count(*)::int AS n FROM "${targetSchema}".loaded`)).rows[0].n).toBe(250);
  });

  it('SIGTERM mid-load (Airflow stopping a task): exit 130, one line, no rows and no staging table left', async () => {
    const runId = await runOf(csvOf(events(1_000_000)), 'stopped');
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'services/cli/bin/aoe.js'), 'worker', 'run-task', '--run', runId, '--task', 'load'],
      { cwd: REPO_ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'error', AOE_PROGRESS_INTERVAL_MS: '100' } },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const staged = async () =>
      (
        await pg.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_aoe\\_stage%'`,
          [targetSchema],
        )
      ).rows[0].n;
    // Stop it once its load task is running.
    const running = async () => (await platform.store.taskRuns.get(runId, 'load'))?.status === 'running';
    for (let i = 0; i < 600 && !(await running()) && child.exitCode === null; i++) await sleep(25);
    await sleep(300);
    expect({ exitCode: child.exitCode, stderr }).toEqual({ exitCode: null, stderr: '' });
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('aoe: task "load" was stopped');
    expect(await staged()).toBe(0);
    const table = await pg.query('SELECT to_regclass($1) AS t', [`"${targetSchema}".stopped`]);
    if (table.rows[0].t !== null) {
      expect((await pg.query(`SELECT count(*)::int AS n FROM "${targetSchema}".stopped`)).rows[0].n).toBe(0);
    }
    expect((await platform.store.taskRuns.get(runId, 'load'))!.status).toBe('cancelled');
  });

  it('exits 5 for a failure a retry cannot fix, 2 for what does not exist, 2 without the mesh settings', async () => {
    const runId = await runOf('id,name\n1,a\n2,\n', 'bad', [
      {
        id: 'check',
        kind: 'validate',
        dependsOn: ['extract'],
        params: { rules: [{ rule: 'not-null', column: 'name' }], onFailure: 'fail' },
      },
    ]);
    const failed = await aoe(['worker', 'run-task', '--run', runId, '--task', 'load'], env);
    expect(failed.code).toBe(5);
    expect(failed.stderr).toMatch(/^aoe: task "check" failed \(data-quality\)/);
    expect((await platform.store.taskRuns.get(runId, 'check'))!.status).toBe('failed');

    expect((await aoe(['worker', 'run-task', '--run', 'nope', '--task', 'load'], env)).code).toBe(2);
    expect((await aoe(['worker', 'run-task', '--run', runId, '--task', 'nope'], env)).stderr).toContain(
      'has no task "nope"',
    );
    const noMesh = await aoe(['worker', 'run-task', '--run', runId, '--task', 'load'], {
      NATS_URL: '',
      DATABASE_URL: '',
    });
    expect(noMesh.code).toBe(2);
    expect(noMesh.stderr).toContain('NATS_URL');
  });
});
