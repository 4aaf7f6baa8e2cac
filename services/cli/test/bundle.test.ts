import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, TEST_ENV, tempDir, writeText } from './support';

jest.setTimeout(240_000);

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'services/cli');
const BIN = join(CLI, 'bin/aoe.js');
const BUNDLE = join(CLI, 'dist/aoe.cjs');

/**
 * Preloaded into `aoe`: on exit, writes whether the unbundled dist ran and
 * whether reflect-metadata (which everything Nest loads) was evaluated.
 */
const PROBE = `
process.on('exit', () => require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({
  dist: Object.keys(require.cache).some((file) => file.endsWith('/dist/src/main.js')),
  nest: typeof Reflect.getMetadata === 'function',
})));
`;

/** The bin as a user runs it, with the probe. */
async function probeAoe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; dist: boolean; nest: boolean }> {
  const dir = await tempDir('bundle-probe');
  const probe = await writeText(join(dir, 'probe.js'), PROBE);
  const out = join(dir, 'probe.json');
  const { stdout } = await run(process.execPath, ['-r', probe, BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...TEST_ENV, LOG_LEVEL: '', AOE_HOME: join(dir, '.aoe'), PROBE_OUT: out, ...env },
  });
  return { stdout, ...(JSON.parse(readFileSync(out, 'utf8')) as { dist: boolean; nest: boolean }) };
}

/** A module body as scripts/bundle.mjs writes the bundle: wrapped as Node wraps a CommonJS module. */
const asBundle = (body: string) => `(function (exports, require, module, __filename, __dirname) {${body}\n})`;

/** Runs a file through run-bundle.js in its own process, as bin/aoe.js does. */
function runBundleFile(file: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const script = `require(${JSON.stringify(join(CLI, 'bin/run-bundle.js'))}).runBundle(process.argv[1], process.argv.slice(2))`;
  const result = spawnSync(process.execPath, ['-e', script, file, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the bundled aoe (npm run build)', () => {
  beforeAll(() => {
    spawnSync('npx', ['tsc', '-b', 'services/cli'], { cwd: REPO_ROOT, stdio: 'ignore' });
    // As `npm run build` leaves it: a bundle at least as new as the tsc output.
    const bundled = spawnSync(process.execPath, [join(CLI, 'scripts/bundle.mjs')], { cwd: REPO_ROOT });
    expect(bundled.status).toBe(0);
  });

  it('runs the bundle, and loads a command only when it runs', async () => {
    const help = await probeAoe(['--help']);
    expect(help.stdout).toMatch(/^Usage: aoe /);
    expect(help).toMatchObject({ dist: false, nest: false });

    const analyze = await probeAoe(['analyze', 'examples/events.csv', '--json']);
    expect(JSON.parse(analyze.stdout)).toMatchObject({ profile: { format: 'csv', sampleSize: 3 } });
    expect(analyze).toMatchObject({ dist: false, nest: true });
    // Compiled through vm.Script, not the plain-require fallback: its code cache is there.
    const caches = await readdir(join(CLI, 'dist/v8-cache'));
    expect(caches.filter((name) => name.startsWith('analyze-'))).toHaveLength(1);
  });

  it('runs dist/src/main.js when a project was rebuilt after the bundle, or with AOE_BUNDLE=0', async () => {
    expect((await probeAoe(['--help'], { AOE_BUNDLE: '0' })).dist).toBe(true);

    // A bundle older than the CLI's last tsc build (the bundle's mtime is moved, not tsc's files).
    const before = statSync(BUNDLE);
    const earlier = new Date(statSync(join(CLI, 'dist/tsconfig.tsbuildinfo')).mtimeMs - 60_000);
    utimesSync(BUNDLE, earlier, earlier);
    try {
      expect((await probeAoe(['--help'])).dist).toBe(true);
    } finally {
      utimesSync(BUNDLE, before.atime, before.mtime);
    }
    expect((await probeAoe(['--help'])).dist).toBe(false);
  });

  it('names a code cache after the command, and the kinds of its source and target', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { cacheName } = require(join(CLI, 'bin/run-bundle.js')) as { cacheName: (args: string[]) => string };
    expect(cacheName(['ingest', 'orders.csv', '--into', 'postgres://u@h/db#s.t', '--json'])).toBe(
      'ingest-file-postgres',
    );
    expect(cacheName(['ingest', 's3://b/p', '--into=./out'])).toBe('ingest-s3-file');
    expect(cacheName(['ingest', 'file:///tmp/a.csv'])).toBe('ingest-file-warehouse');
    expect(cacheName(['plan', 'POSTGRESQL://h/db#s.t', '--into', 'S3://b/p'])).toBe('plan-postgresql-s3');
    expect(cacheName(['analyze', 'https://api.example.com/v1'])).toBe('analyze-https');
    expect(cacheName(['runs', '--json'])).toBe('runs');
    expect(cacheName(['ingest'])).toBe('ingest-none-warehouse');
    expect(cacheName(['--help'])).toBe('aoe');
    expect(cacheName([])).toBe('aoe');
  });

  describe('the V8 code cache (bin/run-bundle.js)', () => {
    let file: string;
    const cacheFiles = async () => (await readdir(join(file, '..', 'v8-cache'))).sort();

    beforeEach(async () => {
      file = join(await tempDir('bundle-cache'), 'fake.cjs');
      // What a bundle uses of its CommonJS scope; the V8 flag is the one the CLI sets per command.
      writeFileSync(
        file,
        asBundle(`const { join } = require('node:path');
require('node:v8').setFlagsFromString('--wasm-tiering-budget=180000000');
module.exports = { named: __filename === ${JSON.stringify(file)} && __dirname === join(__filename, '..') };
console.log(JSON.stringify({ ...module.exports, os: typeof require('node:os').cpus, ok: true }));`),
      );
    });

    it('is written after the first run, then accepted (even though the run set a V8 flag)', async () => {
      const first = runBundleFile(file, 'ingest', 'orders.csv');
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(first.stdout)).toEqual({ named: true, os: 'function', ok: true });
      const [cache] = await cacheFiles();
      expect(cache).toMatch(/^ingest-file-warehouse-\d+-\d+\.bin$/);
      const written = statSync(join(file, '..', 'v8-cache', cache)).mtimeMs;

      // A rejected cache would be written again.
      const second = runBundleFile(file, 'ingest', 'orders.csv');
      expect(second).toMatchObject({ code: 0, stdout: first.stdout, stderr: '' });
      expect(await cacheFiles()).toEqual([cache]);
      expect(statSync(join(file, '..', 'v8-cache', cache)).mtimeMs).toBe(written);
    });

    it('replaces a corrupt cache, and a changed bundle drops the old one', async () => {
      runBundleFile(file, 'sql');
      const [cache] = await cacheFiles();
      writeFileSync(join(file, '..', 'v8-cache', cache), 'not a code cache');
      expect(runBundleFile(file, 'sql')).toMatchObject({ code: 0, stderr: '' });
      expect(readFileSync(join(file, '..', 'v8-cache', cache)).length).toBeGreaterThan(100);

      writeFileSync(file, `${readFileSync(file, 'utf8')}\n// changed`);
      expect(runBundleFile(file, 'sql')).toMatchObject({ code: 0, stderr: '' });
      const after = await cacheFiles();
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(cache);
      expect(existsSync(join(file, '..', 'v8-cache', after[0]))).toBe(true);
    });

    it('a failing command leaves no cache behind', async () => {
      writeFileSync(file, asBundle('process.exitCode = 3;'));
      expect(runBundleFile(file, 'bogus').code).toBe(3);
      expect(existsSync(join(file, '..', 'v8-cache'))).toBe(false);
    });
  });
});
