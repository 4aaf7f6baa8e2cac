import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { csvOf, events, REPO_ROOT, TEST_ENV, tempDir, writeText } from './support';

jest.setTimeout(240_000);

const run = promisify(execFile);

/** `npx aoe …` from the repository root, as a user runs it (the built CLI behind the workspace bin). */
async function npxAoe(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', 'aoe', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...TEST_ENV, LOG_LEVEL: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the built aoe binary', () => {
  let home: string;

  beforeAll(async () => {
    // The quick start builds first; here the CLI and what it references (type errors elsewhere do not stop the emit).
    spawnSync('npx', ['tsc', '-b', 'services/cli'], { cwd: REPO_ROOT, stdio: 'ignore' });
    expect(existsSync(join(REPO_ROOT, 'services/cli/dist/src/main.js'))).toBe(true);
    home = join(await tempDir('bin'), '.aoe');
  });

  it('runs the quick start: npx aoe ingest examples/events.csv && npx aoe sql "select count(*) from events"', async () => {
    const ingest = await npxAoe(['ingest', 'examples/events.csv', '--json'], { AOE_HOME: home });
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(0);
    const lines = ingest.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    expect(summary).toMatchObject({
      status: 'succeeded',
      rowsRead: 3,
      rowsLoaded: 3,
      rowsQuarantined: 0,
      target: 'warehouse:public.events',
    });

    const sql = await npxAoe(['sql', 'select count(*) from events'], { AOE_HOME: home });
    expect(sql.code).toBe(0);
    expect(sql.stdout).toMatch(/^count\n-+\n3\n\(1 row\)\n$/);
  });

  it('bad inputs: one line on stderr and a non-zero exit', async () => {
    const ftp = await npxAoe(['ingest', 'ftp://example.com/events.csv'], { AOE_HOME: home });
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toBe('aoe: unknown URI scheme "ftp://" (use a path, s3://, postgres:// or http(s)://)\n');
    const missing = await npxAoe(['ingest', 'examples/nothing-here.csv'], { AOE_HOME: home });
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^aoe: source: no file matches /);
  });

  it('Ctrl-C during a run cancels it: exit 130, one line, the target left as it was', async () => {
    const databaseUrl = await testDatabaseUrl();
    const schema = uniqueName('cli_sigint');
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    try {
      const file = await writeText(join(await tempDir('sigint'), 'big.csv'), csvOf(events(300_000)));
      const child = spawn(
        process.execPath,
        [join(REPO_ROOT, 'services/cli/bin/aoe.js'), 'ingest', file, '--into', `${databaseUrl}#${schema}.big`],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, ...TEST_ENV, AOE_HOME: home, LOG_LEVEL: '', AOE_PROGRESS_INTERVAL_MS: '200' },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // Interrupt once the load reports progress (a merge counts its rows only when it commits).
      const loading = await new Promise<boolean>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/task load: [\d,]+ rows/.test(stdout)) resolve(true);
        });
        child.on('close', () => resolve(false));
      });
      expect({ loading, stdout }).toMatchObject({ loading: true });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^aoe: run cancelled: cancelled: interrupted \(Ctrl-C\)/);
      const exists = await pg.query('SELECT to_regclass($1) AS t', [`"${schema}".big`]);
      expect(exists.rows[0].t).toBeNull();
    } finally {
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.end();
    }
  });
});
