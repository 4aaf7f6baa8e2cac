import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { lockHome } from '../src/home';
import { aoe, csvOf, events, parseJsonLine, startPasswordRefusingPostgres, tempDir, writeText } from './support';

jest.setTimeout(120_000);

/** Bad inputs: one line on stderr, a non-zero exit, nothing registered, nothing loaded. */
describe('aoe ingest: bad inputs', () => {
  let home: string;
  let dir: string;
  let csv: string;
  let databaseUrl: string;
  let pg: Client;
  const schema = uniqueName('cli_errors');

  beforeAll(async () => {
    home = join(await tempDir('errors'), 'home');
    dir = await tempDir('errors-data');
    csv = await writeText(join(dir, 'fine.csv'), csvOf(events(10)));
    databaseUrl = await testDatabaseUrl();
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  });

  const oneLine = (text: string) => {
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text.startsWith('aoe: ')).toBe(true);
  };

  it('a missing file', async () => {
    const result = await aoe(['ingest', join(dir, 'missing.csv')], { AOE_HOME: home });
    expect(result.code).toBe(3);
    oneLine(result.stderr);
    expect(result.stderr).toMatch(/^aoe: source: no file matches ".*missing\.csv"/);
    expect(result.stdout).toBe('');
    expect(existsSync(home)).toBe(false);
  });

  it('an unreachable database, as the source and as the target', async () => {
    const source = await aoe(['ingest', 'postgres://postgres@127.0.0.1:1/test#public.orders'], { AOE_HOME: home });
    expect(source.code).toBe(3);
    oneLine(source.stderr);
    expect(source.stderr).toMatch(/^aoe: source: postgres:\/\/127\.0\.0\.1:1\/test: .*ECONNREFUSED/);

    const target = await aoe(['ingest', csv, '--into', 'postgres://postgres@127.0.0.1:1/test#public.fine'], {
      AOE_HOME: home,
    });
    expect(target.code).toBe(3);
    oneLine(target.stderr);
    expect(target.stderr).toMatch(/^aoe: target: postgres:\/\/127\.0\.0\.1:1\/test: .*ECONNREFUSED/);
    expect(existsSync(home)).toBe(false);
  });

  it('a wrong password, never echoed', async () => {
    const server = await startPasswordRefusingPostgres();
    try {
      // Connectors resolve secret references from the process environment.
      process.env.PGPASSWORD = 'not-the-password';
      const env = { AOE_HOME: home };
      const result = await aoe(
        ['ingest', csv, '--into', `postgres://postgres@127.0.0.1:${server.port}/test#public.fine`],
        env,
      );
      expect(result.code).toBe(3);
      oneLine(result.stderr);
      expect(result.stderr).toMatch(/^aoe: target: .*password authentication failed for user "postgres" \[28P01\]/);
      expect(result.stderr).not.toContain('not-the-password');
      const json = await aoe(
        ['ingest', `postgres://postgres@127.0.0.1:${server.port}/test#public.fine`, '--json'],
        env,
      );
      expect(json.code).toBe(3);
      oneLine(json.stderr);
      expect(parseJsonLine(json.stdout)).toMatchObject({
        runId: null,
        status: 'failed',
        rowsLoaded: 0,
        error: expect.stringMatching(/28P01/),
      });
    } finally {
      delete process.env.PGPASSWORD;
      await server.stop();
    }
    expect(existsSync(home)).toBe(false);
  });

  it('a password in the URI is refused, an unknown URI scheme too', async () => {
    const inline = await aoe(['ingest', 'postgres://postgres:secret@127.0.0.1:5432/test#public.x'], { AOE_HOME: home });
    expect(inline.code).toBe(2);
    oneLine(inline.stderr);
    expect(inline.stderr).not.toContain('secret@');

    const ftp = await aoe(['ingest', 'ftp://example.com/events.csv', '--json'], { AOE_HOME: home });
    expect(ftp.code).toBe(2);
    oneLine(ftp.stderr);
    expect(ftp.stderr).toContain('unknown URI scheme "ftp://"');
    expect(parseJsonLine(ftp.stdout)).toEqual({
      runId: null,
      status: 'failed',
      rowsRead: 0,
      rowsLoaded: 0,
      rowsQuarantined: 0,
      target: null,
      durationMs: expect.any(Number),
      error: expect.stringContaining('ftp://'),
    });
    const target = await aoe(['ingest', csv, '--into', 'ftp://example.com/out'], { AOE_HOME: home });
    expect(target.code).toBe(2);
    oneLine(target.stderr);
    expect(existsSync(home)).toBe(false);
  });

  it('usage errors: an unknown command, a bad --mode, a missing argument', async () => {
    for (const args of [['fly'], ['ingest', csv, '--mode', 'upsert'], ['ingest'], ['sql']]) {
      const result = await aoe(args, { AOE_HOME: home });
      expect(result.code).toBe(2);
      oneLine(result.stderr);
    }
    const help = await aoe(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ingest');
  });

  it('--mode merge without a key is refused before the run: one line, nothing loaded', async () => {
    const keyless = await writeText(join(dir, 'keyless.csv'), 'a,b\n1,x\n1,x\n');
    const result = await aoe(['ingest', keyless, '--into', `${databaseUrl}#${schema}.keyless`, '--mode', 'merge'], {
      AOE_HOME: home,
    });
    expect(result.code).toBe(2);
    oneLine(result.stderr);
    expect(result.stderr).toContain('--mode merge needs a primary key');
    const exists = await pg.query('SELECT to_regclass($1) AS t', [`"${schema}".keyless`]);
    expect(exists.rows[0].t).toBeNull();
  });

  it('a run that fails reports one line, exits 1 and leaves the target as it was', async () => {
    // The target table exists with a column the data cannot go into.
    await pg.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pg.query(`CREATE TABLE "${schema}".clash (id boolean, name text, amount integer, created_at timestamptz)`);
    await pg.query(`INSERT INTO "${schema}".clash VALUES (true, 'kept', 1, now())`);
    const result = await aoe(['ingest', csv, '--into', `${databaseUrl}#${schema}.clash`], { AOE_HOME: home });
    expect(result.code).toBe(1);
    oneLine(result.stderr);
    expect(result.stderr).toMatch(/^aoe: run failed: task "load": /);
    expect((await pg.query(`SELECT name FROM "${schema}".clash`)).rows).toEqual([{ name: 'kept' }]);

    const json = await aoe(['ingest', csv, '--into', `${databaseUrl}#${schema}.clash`, '--json'], { AOE_HOME: home });
    expect(json.code).toBe(1);
    expect(parseJsonLine(json.stdout)).toMatchObject({
      status: 'failed',
      rowsLoaded: 0,
      error: expect.stringMatching(/^task "load": /),
    });
  });

  it('a second aoe on the same home waits its turn: it is refused in one line', async () => {
    const busyHome = join(await tempDir('busy'), 'home');
    const release = await lockHome(busyHome);
    try {
      const result = await aoe(['runs'], { AOE_HOME: busyHome });
      expect(result.code).toBe(4);
      oneLine(result.stderr);
    } finally {
      await release();
    }
    expect((await aoe(['runs'], { AOE_HOME: busyHome })).stdout).toContain('no runs yet');
  });
});
