import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AirflowConfig, type S3DagSpecLocation } from '../airflow';

/** How the Airflow executor behaves, apart from how it reaches Airflow and where specs go. */
export interface AirflowExecutorSettings {
  /** The worker executable (and leading arguments) every DAG task runs, before `worker run-task`. */
  workerCommand: string[];
  /** How long to wait for Airflow to load a new or changed DAG spec before the run fails. */
  dagLoadTimeoutMs: number;
  /** First interval between polls of Airflow (the DAG, then the DAG run); grows to 15 times this while nothing changes. */
  pollMs: number;
  /** How many times one run's failed tasks are cleared (run again by Airflow) when every failure is retryable. */
  maxClears: number;
  /** Wait before the first clear; doubled for each further clear. */
  retryDelayMs: number;
}

export type DagSpecLocation = { kind: 'folder'; folder: string } | ({ kind: 's3' } & S3DagSpecLocation);

export interface AirflowSelection {
  kind: 'airflow';
  airflow: AirflowConfig;
  specs: DagSpecLocation;
  executor: AirflowExecutorSettings;
}

export type ExecutorSelection = { kind: 'embedded' } | AirflowSelection;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ExecutorEnvironment = z.object({
  AOE_EXECUTOR: z.enum(['embedded', 'airflow']).default('embedded'),
});

const AirflowEnvironment = z.object({
  AOE_AIRFLOW_URL: z.string().min(1),
  AOE_AIRFLOW_API_VERSION: z.enum(['v2', 'v1']).default('v2'),
  AOE_AIRFLOW_USERNAME: z.string().min(1),
  AOE_AIRFLOW_PASSWORD: z.string().optional(),
  AOE_AIRFLOW_PASSWORD_FILE: z.string().optional(),
  AOE_AIRFLOW_TIMEOUT_MS: positiveInt(30_000),
  AOE_DAG_SPEC_DIR: z.string().min(1),
  AOE_AIRFLOW_WORKER_COMMAND: z.string().default('aoe'),
  AOE_AIRFLOW_DAG_LOAD_TIMEOUT_MS: positiveInt(360_000),
  AOE_AIRFLOW_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  AOE_AIRFLOW_MAX_CLEARS: z.coerce.number().int().min(0).max(20).default(2),
  AOE_AIRFLOW_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(10_000),
  AOE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
});

/**
 * Which executor the dispatcher uses: `AOE_EXECUTOR=embedded` (default) or `airflow`
 * with the `AOE_AIRFLOW_*` settings and `AOE_DAG_SPEC_DIR` (a folder, or `s3://bucket/prefix`).
 * Throws one line naming every bad setting, never a value (a password could be one).
 */
export function readExecutorSelection(env: NodeJS.ProcessEnv = process.env): ExecutorSelection {
  const chosen = ExecutorEnvironment.safeParse(env);
  if (!chosen.success) throw new Error(`invalid executor setting: ${problems(chosen.error, env)}`);
  if (chosen.data.AOE_EXECUTOR === 'embedded') return { kind: 'embedded' };

  const parsed = AirflowEnvironment.safeParse(env);
  if (!parsed.success) throw new Error(`invalid Airflow settings: ${problems(parsed.error, env)}`);
  const e = parsed.data;
  const bad: string[] = [];
  if ((e.AOE_AIRFLOW_PASSWORD === undefined) === (e.AOE_AIRFLOW_PASSWORD_FILE === undefined)) {
    bad.push('set exactly one of AOE_AIRFLOW_PASSWORD and AOE_AIRFLOW_PASSWORD_FILE');
  }
  const airflow: AirflowConfig = {
    baseUrl: e.AOE_AIRFLOW_URL,
    apiVersion: e.AOE_AIRFLOW_API_VERSION,
    username: e.AOE_AIRFLOW_USERNAME,
    // A reference, resolved at every login: the value never sits in the settings.
    password:
      e.AOE_AIRFLOW_PASSWORD_FILE !== undefined
        ? { file: e.AOE_AIRFLOW_PASSWORD_FILE }
        : { env: 'AOE_AIRFLOW_PASSWORD' },
    requestTimeoutMs: e.AOE_AIRFLOW_TIMEOUT_MS,
  };
  const config = AirflowConfig.safeParse(airflow);
  if (!config.success) {
    for (const issue of config.error.issues) {
      if (issue.path[0] === 'baseUrl') bad.push(`AOE_AIRFLOW_URL: ${urlProblem(issue.message)}`);
    }
  }
  const workerCommand = parseCommand(e.AOE_AIRFLOW_WORKER_COMMAND);
  if (workerCommand === undefined) {
    bad.push('AOE_AIRFLOW_WORKER_COMMAND: give a command line ("aoe") or a JSON array of strings');
  }
  const specs = parseSpecLocation(e.AOE_DAG_SPEC_DIR, e.AOE_S3_FORCE_PATH_STYLE === 'true');
  if (typeof specs === 'string') bad.push(`AOE_DAG_SPEC_DIR: ${specs}`);
  if (bad.length > 0 || typeof specs === 'string' || workerCommand === undefined) {
    throw new Error(`invalid Airflow settings: ${bad.join('; ')}`);
  }
  return {
    kind: 'airflow',
    airflow,
    specs,
    executor: {
      workerCommand,
      dagLoadTimeoutMs: e.AOE_AIRFLOW_DAG_LOAD_TIMEOUT_MS,
      pollMs: e.AOE_AIRFLOW_POLL_MS,
      maxClears: e.AOE_AIRFLOW_MAX_CLEARS,
      retryDelayMs: e.AOE_AIRFLOW_RETRY_DELAY_MS,
    },
  };
}

/** Where the location points, for messages (never holds a secret: credentials come from the AWS chain). */
export function describeSpecLocation(location: DagSpecLocation): string {
  return location.kind === 'folder' ? location.folder : `s3://${location.bucket}/${location.prefix ?? ''}`;
}

function problems(error: z.ZodError, env: NodeJS.ProcessEnv): string {
  return error.issues
    .map((issue) => {
      const name = String(issue.path[0]);
      return env[name] === undefined || env[name] === '' ? `${name} is not set` : `${name}: ${issue.message}`;
    })
    .join('; ');
}

function urlProblem(message: string): string {
  return /credentials/.test(message) ? message : 'must be an http(s) URL of the Airflow API server';
}

/** `aoe`, `node /opt/aoe/cli.js`, or `["node", "/path with spaces/cli.js"]`. */
function parseCommand(raw: string): string[] | undefined {
  const text = raw.trim();
  if (text.startsWith('[')) {
    try {
      const argv: unknown = JSON.parse(text);
      const valid = Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string' && a !== '');
      return valid ? (argv as string[]) : undefined;
    } catch {
      return undefined;
    }
  }
  const argv = text.split(/\s+/).filter((a) => a !== '');
  return argv.length > 0 ? argv : undefined;
}

function parseSpecLocation(raw: string, forcePathStyle: boolean): DagSpecLocation | string {
  if (!raw.startsWith('s3://')) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return 'use a folder path or s3://bucket/prefix';
    return { kind: 'folder', folder: isAbsolute(raw) ? raw : resolve(raw) };
  }
  const rest = raw.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return 'the S3 bucket name is not valid';
  return { kind: 's3', bucket, prefix, ...(forcePathStyle ? { forcePathStyle } : {}) };
}
