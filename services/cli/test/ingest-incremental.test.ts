import { join } from 'node:path';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { aoe, checksum, checksumSql, csvOf, events, parseJsonLine, tempDir, writeText } from './support';

jest.setTimeout(180_000);

describe('aoe ingest again: the same pipeline, only what is new', () => {
  let home: string;
  let databaseUrl: string;
  let pg: Client;
  const schema = uniqueName('cli_incr');

  beforeAll(async () => {
    home = await tempDir('incr');
    databaseUrl = await testDatabaseUrl();
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  });

  it('a PostgreSQL table with a creation time: the second ingest loads only the new rows', async () => {
    const first = events(1_000);
    await pg.query(
      `CREATE TABLE "${schema}".orders (id integer PRIMARY KEY, name text NOT NULL, amount integer NOT NULL, created_at timestamptz NOT NULL)`,
    );
    const insert = (rows: typeof first) =>
      pg.query(
        `INSERT INTO "${schema}".orders SELECT * FROM json_populate_recordset(NULL::"${schema}".orders, $1::json)`,
        [JSON.stringify(rows)],
      );
    await insert(first);
    const source = `${databaseUrl}#${schema}.orders`;
    const target = `${databaseUrl}#${schema}.orders_copy`;

    const one = await aoe(['ingest', source, '--into', target, '--json'], { AOE_HOME: home });
    expect(one.code).toBe(0);
    expect(parseJsonLine(one.stdout)).toMatchObject({ status: 'succeeded', rowsLoaded: 1_000 });

    const more = events(25, 1_001);
    await insert(more);
    const two = await aoe(['ingest', source, '--into', target, '--json'], { AOE_HOME: home });
    expect(two.code).toBe(0);
    const second = parseJsonLine(two.stdout);
    expect(second).toMatchObject({ status: 'succeeded', rowsRead: 25, rowsLoaded: 25 });
    expect((await pg.query(checksumSql(`"${schema}".orders_copy`))).rows[0]).toEqual({
      count: 1_025,
      md5: checksum([...first, ...more]),
    });

    // One pipeline, two runs, each with the decisions that shaped it.
    const runs = await aoe(['runs', '--json'], { AOE_HOME: home });
    const listed = JSON.parse(runs.stdout) as Array<{ id: string; pipelineId: string; status: string }>;
    const mine = listed.filter((r) => r.id === second.runId || r.id === parseJsonLine(one.stdout).runId);
    expect(mine).toHaveLength(2);
    expect(new Set(mine.map((r) => r.pipelineId)).size).toBe(1);
    const decisions = await aoe(['decisions', second.runId, '--json'], { AOE_HOME: home });
    const agents = (JSON.parse(decisions.stdout) as Array<{ agent: string }>).map((d) => d.agent);
    expect(agents).toEqual(expect.arrayContaining(['source-analysis', 'planner', 'optimizer']));
  });

  it('a folder of files: the second ingest follows the plan (a small folder is re-read and merged on its key)', async () => {
    const dir = await tempDir('glob');
    await writeText(join(dir, 'day-1.csv'), csvOf(events(300)));
    await writeText(join(dir, 'day-2.csv'), csvOf(events(300, 301)));
    const source = join(dir, '*.csv');
    const one = await aoe(['ingest', source, '--into', `${databaseUrl}#${schema}.days`, '--json'], { AOE_HOME: home });
    expect(one.code).toBe(0);
    expect(parseJsonLine(one.stdout)).toMatchObject({ rowsLoaded: 600 });

    await new Promise((r) => setTimeout(r, 1_100)); // a later modification time than the files loaded
    await writeText(join(dir, 'day-3.csv'), csvOf(events(300, 601)));
    const two = await aoe(['ingest', source, '--into', `${databaseUrl}#${schema}.days`, '--json'], { AOE_HOME: home });
    expect(two.code).toBe(0);
    const second = parseJsonLine(two.stdout);
    expect(second.status).toBe('succeeded');
    // Incremental by new files would read 300; the planner re-reads a small folder whole and merges on "id".
    const plan = await aoe(['plan', source, '--into', `${databaseUrl}#${schema}.days`, '--json'], { AOE_HOME: home });
    const tasks = JSON.parse(plan.stdout).plan.tasks as Array<{ kind: string; params: { mode: string } }>;
    const extract = tasks.find((t) => t.kind === 'extract')!.params.mode;
    expect(second.rowsRead).toBe(extract === 'incremental' ? 300 : 900);
    expect(tasks.find((t) => t.kind === 'load')!.params.mode).toBe('merge');
    expect((await pg.query(checksumSql(`"${schema}".days`))).rows[0]).toEqual({
      count: 900,
      md5: checksum(events(900)),
    });
  });

  it('--mode overrides the plan: replace twice keeps one copy, append twice keeps two', async () => {
    const dir = await tempDir('mode');
    const file = await writeText(join(dir, 'snapshot.csv'), csvOf(events(50)));
    const target = `${databaseUrl}#${schema}.snapshot`;
    for (let i = 0; i < 2; i++) {
      const run = await aoe(['ingest', file, '--into', target, '--mode', 'replace'], { AOE_HOME: home });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('load (replace');
    }
    expect((await pg.query(checksumSql(`"${schema}".snapshot`))).rows[0]).toEqual({
      count: 50,
      md5: checksum(events(50)),
    });
    for (let i = 0; i < 2; i++) {
      expect((await aoe(['ingest', file, '--into', target, '--mode', 'append'], { AOE_HOME: home })).code).toBe(0);
    }
    expect((await pg.query(`SELECT count(*)::int AS n FROM "${schema}".snapshot`)).rows[0].n).toBe(150);
  });
});
