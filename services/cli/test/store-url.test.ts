import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import {
  aoe,
  checksum,
  checksumSql,
  csvOf,
  events,
  parseJsonLine,
  startPasswordRefusingPostgres,
  tempDir,
  writeText,
} from './support';

jest.setTimeout(120_000);

/** AOE_STORE_URL: the CLI's control-plane store in a PostgreSQL database instead of PGlite under the home. */
describe('aoe with AOE_STORE_URL', () => {
  let databaseUrl: string;
  let pg: Client;
  let home: string;
  let csv: string;
  const storeSchema = uniqueName('cli_store');
  const dataSchema = uniqueName('cli_store_data');
  const rows = events(40);

  beforeAll(async () => {
    databaseUrl = await testDatabaseUrl();
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    home = join(await tempDir('store-url'), 'home');
    csv = await writeText(join(await tempDir('store-url-data'), 'events.csv'), csvOf(rows));
  });
  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${storeSchema}" CASCADE`);
    await pg.query(`DROP SCHEMA IF EXISTS "${dataSchema}" CASCADE`);
    await pg.end();
  });

  const env = () => ({ AOE_HOME: home, AOE_STORE_URL: databaseUrl, AOE_STORE_SCHEMA: storeSchema });

  it('keeps runs, plans and decisions in that database: no PGlite store under the home', async () => {
    const target = `${databaseUrl}#${dataSchema}.events`;
    const result = await aoe(['ingest', csv, '--into', target, '--json'], env());
    expect(result.stderr).toBe('');
    const summary = parseJsonLine(result.stdout) as { runId: string; status: string; rowsLoaded: number };
    expect(summary).toMatchObject({ status: 'succeeded', rowsLoaded: 40 });
    expect((await pg.query(checksumSql(`"${dataSchema}".events`))).rows[0]).toEqual({
      count: 40,
      md5: checksum(rows),
    });

    const stored = await pg.query<{ status: string }>(`SELECT status FROM "${storeSchema}".runs WHERE id = $1`, [
      summary.runId,
    ]);
    expect(stored.rows).toEqual([{ status: 'succeeded' }]);
    expect(existsSync(join(home, 'store'))).toBe(false);

    // Another command (another machine, as far as the store can tell) sees the run and its decisions.
    const runs = await aoe(['runs', '--json'], env());
    expect((JSON.parse(runs.stdout) as Array<{ id: string }>).map((r) => r.id)).toContain(summary.runId);
    const decisions = await aoe(['decisions', summary.runId], env());
    expect(decisions.code).toBe(0);
    expect(decisions.stdout).toMatch(/planner/);
  });

  it('refuses a URL that is not postgres://, and names a store it cannot open without its password', async () => {
    const other = join(await tempDir('store-url-bad'), 'home');
    const wrongKind = await aoe(['runs'], { AOE_HOME: other, AOE_STORE_URL: 'mysql://u:secret@h/db' });
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toBe('aoe: AOE_STORE_URL must be a postgres:// URL, not "mysql://u:***@h/db"\n');

    const refusing = await startPasswordRefusingPostgres();
    try {
      const url = `postgres://aoe:hunter2@127.0.0.1:${refusing.port}/store`;
      const result = await aoe(['ingest', csv, '--into', `${databaseUrl}#${dataSchema}.never`], {
        AOE_HOME: other,
        AOE_STORE_URL: url,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(
          `^aoe: cannot open the store at AOE_STORE_URL \\(postgres://aoe:\\*\\*\\*@127\\.0\\.0\\.1:${refusing.port}/store\\): .+\\n$`,
        ),
      );
      expect(result.stderr).not.toContain('hunter2');
    } finally {
      await refusing.stop();
    }
    const never = await pg.query(`SELECT to_regclass($1) AS t`, [`"${dataSchema}".never`]);
    expect(never.rows[0]).toEqual({ t: null });
  });
});
