import { readExecutorSelection } from './airflow.settings';

const SECRET = 'pa55-w0rd-never-shown';

const AIRFLOW = {
  AOE_EXECUTOR: 'airflow',
  AOE_AIRFLOW_URL: 'https://airflow.example.com',
  AOE_AIRFLOW_USERNAME: 'aoe',
  AOE_AIRFLOW_PASSWORD: SECRET,
  AOE_DAG_SPEC_DIR: '/opt/airflow/aoe-specs',
};

function failure(env: NodeJS.ProcessEnv): string {
  try {
    readExecutorSelection(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the settings to be refused');
}

describe('readExecutorSelection', () => {
  it('is the embedded executor by default', () => {
    expect(readExecutorSelection({})).toEqual({ kind: 'embedded' });
    expect(readExecutorSelection({ AOE_EXECUTOR: 'embedded', AOE_AIRFLOW_URL: 'not read' })).toEqual({
      kind: 'embedded',
    });
  });

  it('reads the Airflow settings, with a password reference instead of the password', () => {
    const selection = readExecutorSelection(AIRFLOW);
    expect(selection).toEqual({
      kind: 'airflow',
      airflow: {
        baseUrl: 'https://airflow.example.com',
        apiVersion: 'v2',
        username: 'aoe',
        password: { env: 'AOE_AIRFLOW_PASSWORD' },
        requestTimeoutMs: 30_000,
      },
      specs: { kind: 'folder', folder: '/opt/airflow/aoe-specs' },
      executor: {
        workerCommand: ['aoe'],
        dagLoadTimeoutMs: 360_000,
        pollMs: 1_000,
        maxClears: 2,
        retryDelayMs: 10_000,
      },
    });
    expect(JSON.stringify(selection)).not.toContain(SECRET);
  });

  it('takes Airflow 2, a password file, an S3 spec prefix and a worker command as a JSON array', () => {
    const selection = readExecutorSelection({
      ...AIRFLOW,
      AOE_AIRFLOW_PASSWORD: undefined,
      AOE_AIRFLOW_PASSWORD_FILE: '/run/secrets/airflow',
      AOE_AIRFLOW_API_VERSION: 'v1',
      AOE_DAG_SPEC_DIR: 's3://aoe-specs/dags/specs',
      AOE_S3_FORCE_PATH_STYLE: 'true',
      AOE_AIRFLOW_WORKER_COMMAND: '["node", "/opt/aoe cli/bin/aoe.js"]',
      AOE_AIRFLOW_MAX_CLEARS: '0',
    });
    expect(selection).toMatchObject({
      airflow: { apiVersion: 'v1', password: { file: '/run/secrets/airflow' } },
      specs: { kind: 's3', bucket: 'aoe-specs', prefix: 'dags/specs', forcePathStyle: true },
      executor: { workerCommand: ['node', '/opt/aoe cli/bin/aoe.js'], maxClears: 0 },
    });
  });

  it('refuses missing and bad settings in one line naming each, never showing a value', () => {
    expect(failure({ AOE_EXECUTOR: 'kubernetes' })).toBe(
      'invalid executor setting: AOE_EXECUTOR: Invalid option: expected one of "embedded"|"airflow"',
    );
    expect(failure({ AOE_EXECUTOR: 'airflow' })).toBe(
      'invalid Airflow settings: AOE_AIRFLOW_URL is not set; AOE_AIRFLOW_USERNAME is not set; AOE_DAG_SPEC_DIR is not set',
    );
    const both = failure({ ...AIRFLOW, AOE_AIRFLOW_PASSWORD_FILE: '/run/secrets/airflow' });
    expect(both).toBe(
      'invalid Airflow settings: set exactly one of AOE_AIRFLOW_PASSWORD and AOE_AIRFLOW_PASSWORD_FILE',
    );
    const url = failure({ ...AIRFLOW, AOE_AIRFLOW_URL: `https://aoe:${SECRET}@airflow.example.com` });
    expect(url).toMatch(/^invalid Airflow settings: AOE_AIRFLOW_URL: baseUrl must not embed credentials/);
    expect(url).not.toContain(SECRET);
    expect(failure({ ...AIRFLOW, AOE_AIRFLOW_URL: 'ftp://airflow' })).toBe(
      'invalid Airflow settings: AOE_AIRFLOW_URL: must be an http(s) URL of the Airflow API server',
    );
    expect(failure({ ...AIRFLOW, AOE_DAG_SPEC_DIR: 'gs://bucket/specs', AOE_AIRFLOW_POLL_MS: 'soon' })).toBe(
      'invalid Airflow settings: AOE_AIRFLOW_POLL_MS: Invalid input: expected number, received NaN',
    );
    expect(failure({ ...AIRFLOW, AOE_DAG_SPEC_DIR: 'gs://bucket/specs' })).toBe(
      'invalid Airflow settings: AOE_DAG_SPEC_DIR: use a folder path or s3://bucket/prefix',
    );
    expect(failure({ ...AIRFLOW, AOE_AIRFLOW_WORKER_COMMAND: '["aoe", 3]' })).toBe(
      'invalid Airflow settings: AOE_AIRFLOW_WORKER_COMMAND: give a command line ("aoe") or a JSON array of strings',
    );
  });
});
