import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** The Python DAG factory compiles and its stdlib unittest suite passes (no Airflow needed). */

const run = promisify(execFile);
const REPO = resolve(__dirname, '..', '..', '..');

let cache: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  // Byte code goes to a temporary folder, never next to the sources.
  cache = await mkdtemp(join(tmpdir(), 'aoe-pycache-'));
  env = { ...process.env, PYTHONPYCACHEPREFIX: cache };
  delete env.AOE_DAG_SPEC_DIR;
  delete env.AOE_DAG_OPERATOR;
});
afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

describe('deploy/airflow DAG factory', () => {
  it('compiles (python3 -m py_compile)', async () => {
    await expect(
      run('python3', ['-m', 'py_compile', 'deploy/airflow/dags/aoe_dag_factory.py'], { cwd: REPO, env }),
    ).resolves.toBeDefined();
  });

  it('passes its unittest suite (python3 -m unittest discover deploy/airflow/tests)', async () => {
    const { stderr } = await run('python3', ['-m', 'unittest', 'discover', 'deploy/airflow/tests'], { cwd: REPO, env });
    const ran = /Ran (\d+) tests?/.exec(stderr);
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(15);
    expect(stderr).toMatch(/\nOK\s*$/);
  });
});
