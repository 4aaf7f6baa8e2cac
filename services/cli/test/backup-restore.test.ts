import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateApiKeyUseCase, GatewayModule } from '@aoe/gateway';
import { connectMeshPlatform, startServiceApp, type Platform, type ServiceApp } from '@aoe/service-kit';
import { deleteTestStreams, dropTestSchema, testDatabaseUrl, testNatsUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { embeddedModules } from '../src/embedded/platform';
import {
  aoe,
  checksum,
  checksumSql,
  events,
  parseJsonLine,
  startPasswordRefusingPostgres,
  tempDir,
  type Event,
} from './support';

jest.setTimeout(300_000);

/** Every service module in one Nest app on real NATS and PostgreSQL: the mesh, in one process. */
async function startPlatform(natsUrl: string, databaseUrl: string, namespace: string, schema: string) {
  const platform: Platform = await connectMeshPlatform('backup-test', { natsUrl, databaseUrl, namespace, schema });
  const app: ServiceApp = await startServiceApp({
    service: 'backup-test',
    modules: [GatewayModule, ...embeddedModules()],
    platform,
  });
  return { ...app, platform };
}
type Running = Awaited<ReturnType<typeof startPlatform>>;

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The REST API of a running platform, with an API key. */
function api(running: Running, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

async function runEnd(running: Running, runId: string) {
  return eventually(async () => {
    const run = await running.platform.store.runs.get(runId);
    return run && ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
  }, `run ${runId} to end`);
}

async function runToEnd(running: Running, key: string, pipelineId: string) {
  const { runId } = await api(running, key)('POST', '/v1/runs', { pipelineId });
  return runEnd(running, runId);
}

describe('aoe admin backup / restore: a restored platform resumes its pipelines from their checkpoints', () => {
  let natsUrl: string;
  let databaseUrl: string;
  let pg: Client;
  let dir: string;
  const data = uniqueName('bkp_data');
  const storeSchema = uniqueName('bkp_store');
  const namespace = uniqueName('bkp_a');
  const restoredNamespace = uniqueName('bkp_b');
  const restoredDatabase = uniqueName('bkp_db');
  let restoredUrl: string;
  const running: Running[] = [];

  const insert = (rows: Event[]) =>
    pg.query(`INSERT INTO "${data}".orders SELECT * FROM json_populate_recordset(NULL::"${data}".orders, $1::json)`, [
      JSON.stringify(rows),
    ]);
  const target = () =>
    pg.query<{ count: number; md5: string }>(checksumSql(`"${data}".orders_copy`)).then((r) => r.rows[0]);

  beforeAll(async () => {
    [natsUrl, databaseUrl] = await Promise.all([testNatsUrl(), testDatabaseUrl()]);
    const url = new URL(databaseUrl);
    url.pathname = `/${restoredDatabase}`;
    restoredUrl = url.toString();
    dir = await tempDir('backup');
    process.env.AOE_SCHEDULER_INTERVAL_MS = '0';
    process.env.AOE_MONITOR_FRESHNESS_CHECK_MS = '0';
    process.env.AOE_WAREHOUSE_DIR = join(dir, 'warehouse');
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${data}"`);
    await pg.query(
      `CREATE TABLE "${data}".orders (id integer PRIMARY KEY, name text NOT NULL, amount integer NOT NULL, created_at timestamptz NOT NULL)`,
    );
    await pg.query(`CREATE DATABASE "${restoredDatabase}"`);
  });

  afterAll(async () => {
    for (const app of running.splice(0).reverse()) await app.close().catch(() => undefined);
    await pg.query(`DROP DATABASE IF EXISTS "${restoredDatabase}" WITH (FORCE)`);
    await pg.query(`DROP SCHEMA IF EXISTS "${data}" CASCADE`);
    await pg.end();
    await dropTestSchema(databaseUrl, storeSchema);
    await deleteTestStreams(natsUrl, namespace);
    await deleteTestStreams(natsUrl, restoredNamespace);
  });

  it('backs up, loses everything, restores into a fresh database and stream set, and loads exactly the new rows', async () => {
    // 1. The original platform loads 1,000 rows.
    const original = await startPlatform(natsUrl, databaseUrl, namespace, storeSchema);
    running.push(original);
    const { key } = await original.app
      .get(CreateApiKeyUseCase)
      .execute({ name: 'backup test', scope: 'write', createdBy: 'backup test' });
    const first = events(1_000);
    await insert(first);
    const call = api(original, key);
    const source = await call('POST', '/v1/sources', {
      name: `orders ${data}`,
      spec: { kind: 'postgres', connection: { url: databaseUrl }, table: { schema: data, name: 'orders' } },
    });
    const pipeline = await call('POST', '/v1/pipelines', {
      sourceId: source.id,
      target: { kind: 'postgres', connection: { url: databaseUrl }, table: { schema: data, name: 'orders_copy' } },
    });
    await eventually(async () => {
      const p = await original.platform.store.pipelines.get(pipeline.id);
      return p?.currentPlanVersion ? p : undefined;
    }, 'the optimized plan');
    const firstRun = await runToEnd(original, key, pipeline.id);
    expect(firstRun).toMatchObject({ status: 'succeeded', stats: { rowsRead: 1_000, rowsLoaded: 1_000 } });
    expect(await target()).toEqual({ count: 1_000, md5: checksum(first) });

    const planVersion = (await original.platform.store.pipelines.get(pipeline.id))!.currentPlanVersion;

    // A run in flight when the backup is taken: its extract waits on a lock the test holds on the source.
    const more = events(25, 1_001);
    await insert(more);
    const locker = new Client({ connectionString: databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${data}".orders IN ACCESS EXCLUSIVE MODE`);
    const { runId: inFlight } = await call('POST', '/v1/runs', { pipelineId: pipeline.id });
    await eventually(
      async () => ((await original.platform.store.runs.get(inFlight))?.status === 'running' ? true : undefined),
      'the second run to start',
    );

    // 2. Back up the store and the streams.
    const dump = join(dir, 'store.dump');
    const storeEnv = { DATABASE_URL: databaseUrl, AOE_STORE_SCHEMA: storeSchema };
    const backup = await aoe(['admin', 'backup', '--out', dump, '--json'], storeEnv);
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    const backedUp = parseJsonLine(backup.stdout);
    expect(backedUp).toMatchObject({ file: dump, schema: storeSchema });
    expect(backedUp.tables).toBeGreaterThanOrEqual(10);
    expect((await readFile(dump)).subarray(0, 5).toString()).toBe('PGDMP');
    const streamsFile = join(dir, 'streams.json');
    const streamsBackup = await aoe(['admin', 'streams', 'backup', '--out', streamsFile], {
      NATS_URL: natsUrl,
      AOE_BUS_NAMESPACE: namespace,
    });
    expect(streamsBackup.code).toBe(0);
    expect(streamsBackup.stdout).toMatch(/^backed up 3 streams and \d+ consumers -> /);
    // A second backup to the same file is refused: a backup is never overwritten.
    expect(await aoe(['admin', 'backup', '--out', dump], storeEnv)).toMatchObject({
      code: 2,
      stderr: `aoe: ${dump} exists; choose another --out\n`,
    });

    // 3. Disaster: the platform, its store and its streams are gone. (The run in flight may or may
    //    not commit before its dispatcher stops; either way the restored store shows it running.)
    await locker.query('ROLLBACK');
    await locker.end();
    await original.close();
    running.splice(running.indexOf(original), 1);
    await dropTestSchema(databaseUrl, storeSchema);
    await deleteTestStreams(natsUrl, namespace);

    // 4. Restore into a fresh database and a fresh stream set.
    const restored = await aoe(['admin', 'restore', dump, '--into', restoredUrl, '--json'], {
      DATABASE_URL: undefined,
    });
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    expect(parseJsonLine(restored.stdout)).toMatchObject({
      database: restoredDatabase,
      schemas: [storeSchema],
      tables: backedUp.tables,
    });
    const refused = await aoe(['admin', 'restore', dump, '--into', restoredUrl]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^aoe: database ${restoredDatabase} is not empty: ${storeSchema} \\(\\d+\\); .*--force.*\\n$`),
    );
    const streamsRestored = await aoe(
      ['admin', 'streams', 'restore', streamsFile, '--namespace', restoredNamespace, '--json'],
      { NATS_URL: natsUrl },
    );
    expect(streamsRestored.code).toBe(0);
    expect(parseJsonLine(streamsRestored.stdout).streams).toEqual(
      ['AOE_CMD', 'AOE_EVT', 'AOE_DLQ'].map((s) => `${restoredNamespace}_${s}`),
    );

    // 5. The restored platform: the same pipeline, the same key; the run in flight resumes, and only new rows load.
    const after = await startPlatform(natsUrl, restoredUrl, restoredNamespace, storeSchema);
    running.push(after);
    expect(await after.platform.store.runs.get(firstRun.id)).toMatchObject({ status: 'succeeded' });
    expect(await after.platform.store.runs.get(inFlight)).toMatchObject({ status: 'running' });
    expect((await after.platform.store.pipelines.get(pipeline.id))?.currentPlanVersion).toBe(planVersion);
    const resumed = await aoe(['admin', 'resume-runs', '--json'], {
      DATABASE_URL: restoredUrl,
      AOE_STORE_SCHEMA: storeSchema,
      NATS_URL: natsUrl,
      AOE_BUS_NAMESPACE: restoredNamespace,
    });
    expect(resumed.code).toBe(0);
    expect(parseJsonLine(resumed.stdout)).toEqual([{ runId: inFlight, pipelineId: pipeline.id, status: 'running' }]);
    expect(await runEnd(after, inFlight)).toMatchObject({ status: 'succeeded' });
    expect(await target()).toEqual({ count: 1_025, md5: checksum([...first, ...more]) });

    const last = events(10, 1_026);
    await insert(last);
    const thirdRun = await runToEnd(after, key, pipeline.id);
    expect(thirdRun).toMatchObject({ status: 'succeeded', stats: { rowsRead: 10, rowsLoaded: 10 } });
    expect(await target()).toEqual({ count: 1_035, md5: checksum([...first, ...more, ...last]) });

    // 6. --force puts the backup's state back over a non-empty database (the third run is gone again).
    await after.close();
    running.splice(running.indexOf(after), 1);
    const forced = await aoe(['admin', 'restore', dump, '--into', restoredUrl, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^restored ${storeSchema} into ${restoredDatabase}: \\d+ tables in `));
    const check = new Client({ connectionString: restoredUrl });
    await check.connect();
    try {
      const ids = await check.query<{ id: string }>(`SELECT id FROM "${storeSchema}".runs ORDER BY id`);
      expect(ids.rows.map((r) => r.id)).toEqual([firstRun.id, inFlight].sort());
    } finally {
      await check.end();
    }
  });

  it('a wrong password: one line, without the password, from backup and from restore', async () => {
    const server = await startPasswordRefusingPostgres();
    try {
      const url = `postgres://postgres:s3cret-Pa55@127.0.0.1:${server.port}/test`;
      const backup = await aoe(['admin', 'backup', '--out', join(dir, 'never.dump')], { DATABASE_URL: url });
      expect(backup.code).toBe(3);
      expect(backup.stderr).toMatch(
        /^aoe: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/test: password authentication failed for user "postgres" \[28P01\]\n$/,
      );
      const dump = join(dir, 'fake.dump');
      await writeFile(dump, 'PGDMP-not-really');
      const restore = await aoe(['admin', 'restore', dump, '--into', url]);
      expect(restore.code).toBe(3);
      expect(restore.stderr).toMatch(/^aoe: cannot connect to .*password authentication failed.*\n$/);
      for (const text of [backup.stdout, backup.stderr, restore.stdout, restore.stderr]) {
        expect(text).not.toContain('s3cret-Pa55');
      }
    } finally {
      await server.stop();
    }
  });

  it('hands the password to pg_dump in its environment, never in its arguments', async () => {
    // A pg_dump that records what it was given, then runs the real one (from PATH).
    const bin = await tempDir('pgspy');
    const record = join(bin, 'seen.txt');
    await writeFile(
      join(bin, 'pg_dump'),
      `#!/bin/sh\nif [ "$1" != "--version" ]; then echo "args: $*" >> ${record}; echo "env: $PGPASSWORD" >> ${record}; fi\nexec pg_dump "$@"\n`,
    );
    await chmod(join(bin, 'pg_dump'), 0o755);
    const password = 'hunter2-Secret';
    const url = Object.assign(new URL(databaseUrl), { password }).toString();
    const schema = uniqueName('bkp_pw');
    await aoe(['admin', 'api-key', 'list'], { DATABASE_URL: databaseUrl, AOE_STORE_SCHEMA: schema }); // creates the store
    try {
      const result = await aoe(['admin', 'backup', '--out', join(bin, 'pw.dump')], {
        DATABASE_URL: url,
        AOE_STORE_SCHEMA: schema,
        AOE_PG_BIN_DIR: bin,
      });
      expect(result.code).toBe(0);
      const seen = await readFile(record, 'utf8');
      expect(seen).toContain(`env: ${password}`);
      const args = seen.split('\n').find((l) => l.startsWith('args: '))!;
      expect(args).toContain(`--schema=${schema}`);
      expect(args).not.toContain(password);
      expect(result.stdout + result.stderr).not.toContain(password);
    } finally {
      await dropTestSchema(databaseUrl, schema);
    }
  });

  it('refuses what it cannot do, in one line: no store, not a dump, a damaged dump, missing or old pg tools', async () => {
    expect(
      await aoe(['admin', 'backup', '--out', join(dir, 'none.dump')], {
        DATABASE_URL: databaseUrl,
        AOE_STORE_SCHEMA: uniqueName('missing'),
      }),
    ).toMatchObject({ code: 1, stderr: expect.stringMatching(/^aoe: database test has no store in schema "missing_/) });
    expect(await aoe(['admin', 'backup'], { DATABASE_URL: '' })).toMatchObject({
      code: 2,
      stderr: 'aoe: set DATABASE_URL to the store to back up\n',
    });

    const text = join(dir, 'notes.txt');
    await writeFile(text, 'hello');
    expect(await aoe(['admin', 'restore', text, '--into', restoredUrl])).toMatchObject({
      code: 2,
      stderr: `aoe: ${text} is not a PostgreSQL custom-format dump (aoe admin backup writes one)\n`,
    });
    // A damaged archive fails in pg_restore; its complaint comes back as one line, nothing restored.
    const empty = uniqueName('bkp_empty');
    await pg.query(`CREATE DATABASE "${empty}"`);
    try {
      const emptyUrl = Object.assign(new URL(databaseUrl), { pathname: `/${empty}` }).toString();
      const damaged = join(dir, 'damaged.dump');
      await writeFile(damaged, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(64, 7)]));
      const result = await aoe(['admin', 'restore', damaged, '--into', emptyUrl]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^aoe: reading the backup failed: .+\n$/);

      const bin = await tempDir('pgbin');
      const noTools = await aoe(['admin', 'restore', damaged, '--into', emptyUrl], { AOE_PG_BIN_DIR: bin });
      expect(noTools).toMatchObject({ code: 3, stderr: expect.stringMatching(/^aoe: pg_restore is not installed: /) });
      await writeFile(join(bin, 'pg_restore'), '#!/bin/sh\necho "pg_restore (PostgreSQL) 9.6.24"\n');
      await chmod(join(bin, 'pg_restore'), 0o755);
      const old = await aoe(['admin', 'restore', damaged, '--into', emptyUrl], { AOE_PG_BIN_DIR: bin });
      expect(old).toMatchObject({
        code: 3,
        stderr: expect.stringMatching(/^aoe: pg_restore 9 \(.*\) is older than the server \(PostgreSQL \d+\); /),
      });
    } finally {
      await pg.query(`DROP DATABASE IF EXISTS "${empty}" WITH (FORCE)`);
    }
  });
});
