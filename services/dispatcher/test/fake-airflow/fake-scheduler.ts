import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeAirflow, TaskOutcome, TaskToRun } from './fake-airflow';

const run = promisify(execFile);

/** What `aoe_dag_factory.definition(spec, {"operator": "bash"})` returns, as far as running tasks needs it. */
interface DagDefinition {
  dag_id: string;
  dag_kwargs: { description: string; tags: string[] };
  tasks: Array<{
    task_id: string;
    upstream: string[];
    kwargs: { bash_command: string; env?: Record<string, string>; append_env?: boolean };
  }>;
}

export interface TaskLog {
  dagRunId: string;
  taskId: string;
  tryNumber: number;
  exitCode: number | null;
  /** The signal that ended the command (bash), if one did. */
  signal: NodeJS.Signals | null;
  /** Set when the scheduler terminated the task because its state was changed through the API. */
  terminated: boolean;
  output: string;
}

export interface FakeSchedulerOptions {
  airflow: FakeAirflow;
  /** The folder Airflow's DAG processor reads (`AOE_DAG_SPEC_DIR` of the factory). */
  specDir: string;
  /** `deploy/airflow/dags/aoe_dag_factory.py`. */
  factory: string;
  /** The environment of the Airflow workers: what the worker needs to reach the store and the bus. */
  workerEnv: NodeJS.ProcessEnv;
  /** How long a new or changed spec file waits before the DAG processor parses it; default 1 s. */
  parseDelayMs?: number;
  /** Called before a task instance's command starts: a test arranges the world for a try here. */
  beforeTask?: (task: TaskToRun) => Promise<void> | void;
}

const PARSE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import aoe_dag_factory as factory
specs = factory.load_specs(factory.Path(sys.argv[2]))
print(json.dumps([factory.definition(spec, {"operator": "bash"}) for spec in specs], default=str))
`;

/** `{{ dag_run.conf['key'] }}`: the only Jinja the DAG factory's commands hold. */
const CONF_TEMPLATE = /\{\{\s*dag_run\.conf\[\s*(['"])([^'"]+)\1\s*\]\s*\}\}/g;

/**
 * The parts of Airflow the fake REST server leaves out, for tests that run real workers:
 *
 * - a DAG processor: every spec file in `specDir` becomes known to the fake Airflow only
 *   after it has been parsed with the real DAG factory (`load_specs` + `definition`, in
 *   python3), `parseDelayMs` after it appeared or changed; until then `GET /dags/{id}`
 *   answers 404 (or the previous parse). Pause state survives a re-parse.
 * - an executor: a task instance that starts running runs the factory's BashOperator
 *   command (`bash -c`, with its templated `env` rendered from the run's conf and appended
 *   to the workers' environment) in its own process group; exit code 0 is success,
 *   anything else failed.
 * - the task heartbeat: a task whose state is changed through the API while it runs (the
 *   DAG run marked failed) is terminated with SIGTERM, as Airflow's task runner does.
 */
export class FakeScheduler {
  readonly logs: TaskLog[] = [];
  /** DAG ids in the order they were parsed (a re-parse appends again). */
  readonly parsed: string[] = [];

  private readonly definitions = new Map<string, DagDefinition>();
  private readonly seen = new Map<string, { mtimeMs: number; since: number; parsedMtimeMs?: number }>();
  private readonly running = new Map<ChildProcess, { task: TaskToRun; log: TaskLog; exited: Promise<void> }>();
  private readonly timer: NodeJS.Timeout;
  private scanning = false;
  private interpreter: Promise<string> | undefined;
  private parsing = true;

  constructor(private readonly options: FakeSchedulerOptions) {
    options.airflow.runTasksWith((task) => this.runTask(task));
    void this.python().catch(() => undefined); // resolved early: the first parse should not wait for it
    this.timer = setInterval(() => void this.tick(), 50);
    this.timer.unref();
  }

  /** As if the DAG processor were down: specs written from now on are not parsed until `resumeParsing`. */
  pauseParsing(): void {
    this.parsing = false;
  }

  resumeParsing(): void {
    this.parsing = true;
  }

  /** Resolves once no task command is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.exited));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const [child] of this.running) terminate(child);
    await this.idle();
  }

  private async tick(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      await this.watchProcesses();
      if (this.parsing) await this.scan();
    } finally {
      this.scanning = false;
    }
  }

  /** The heartbeat: a task whose instance is no longer running in the fake is terminated. */
  private async watchProcesses(): Promise<void> {
    for (const [child, { task, log }] of this.running) {
      const state = this.options.airflow.runState(task.dagId, task.dagRunId)?.tasks[task.taskId];
      if (state !== 'running' && !log.terminated) {
        log.terminated = true;
        terminate(child);
      }
    }
  }

  private async scan(): Promise<void> {
    const now = Date.now();
    const due: string[] = [];
    let names: string[];
    try {
      names = await readdir(this.options.specDir);
    } catch {
      return;
    }
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const mtimeMs = (await stat(join(this.options.specDir, name)).catch(() => undefined))?.mtimeMs;
      if (mtimeMs === undefined) continue;
      const entry = this.seen.get(name);
      if (entry === undefined || entry.mtimeMs !== mtimeMs) {
        this.seen.set(name, { mtimeMs, since: now, parsedMtimeMs: entry?.parsedMtimeMs });
        continue;
      }
      const delay = this.options.parseDelayMs ?? 1_000;
      if (entry.parsedMtimeMs !== mtimeMs && now - entry.since >= delay) due.push(name);
    }
    if (due.length === 0) return;
    const { stdout } = await run(
      await this.python(),
      ['-c', PARSE, dirname(this.options.factory), this.options.specDir],
      {
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
    );
    const definitions = JSON.parse(stdout) as DagDefinition[];
    for (const name of due) {
      this.seen.get(name)!.parsedMtimeMs = this.seen.get(name)!.mtimeMs;
      const definition = definitions.find((d) => `${d.dag_id}.json` === name);
      if (definition === undefined) continue; // the factory skipped it (logged on its side)
      this.definitions.set(definition.dag_id, definition);
      this.options.airflow.addDag({
        dagId: definition.dag_id,
        description: definition.dag_kwargs.description,
        tags: definition.dag_kwargs.tags,
        tasks: definition.tasks.map((t) => ({ taskId: t.task_id, upstream: t.upstream })),
        isPaused: this.options.airflow.dagState(definition.dag_id)?.isPaused,
      });
      this.parsed.push(definition.dag_id);
    }
  }

  /** The interpreter behind `python3`, resolved once (a version manager's shim costs seconds per call on a busy machine). */
  private python(): Promise<string> {
    this.interpreter ??= run('python3', ['-c', 'import sys; print(sys.executable)']).then(({ stdout }) =>
      stdout.trim(),
    );
    return this.interpreter;
  }

  private async runTask(task: TaskToRun): Promise<TaskOutcome> {
    const log: TaskLog = {
      dagRunId: task.dagRunId,
      taskId: task.taskId,
      tryNumber: task.tryNumber,
      exitCode: null,
      signal: null,
      terminated: false,
      output: '',
    };
    this.logs.push(log);
    const definition = this.definitions.get(task.dagId)?.tasks.find((t) => t.task_id === task.taskId);
    if (definition === undefined) {
      log.output = `no parsed definition of ${task.dagId}.${task.taskId}`;
      return 'failed';
    }
    await this.options.beforeTask?.(task);
    let env: Record<string, string>;
    try {
      env = Object.fromEntries(
        Object.entries(definition.kwargs.env ?? {}).map(([name, value]) => [name, render(value, task.conf)]),
      );
    } catch (error) {
      log.output = (error as Error).message;
      return 'failed';
    }
    const child = spawn('bash', ['-c', definition.kwargs.bash_command], {
      env: definition.kwargs.append_env === false ? env : { ...this.options.workerEnv, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      log.output = (log.output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    this.running.set(child, { task, log, exited });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    this.running.delete(child);
    log.exitCode = code;
    log.signal = signal;
    return code === 0 ? 'success' : 'failed';
  }
}

/** Renders the run's conf into a templated value, as Airflow's Jinja would; anything else is an error. */
function render(value: string, conf: Record<string, unknown>): string {
  const out = value.replace(CONF_TEMPLATE, (_, _quote: string, key: string) => {
    if (!(key in conf)) throw new Error(`jinja2.exceptions.UndefinedError: dict object has no attribute '${key}'`);
    return String(conf[key]);
  });
  if (/\{[{%#]/.test(out)) throw new Error(`the fake scheduler cannot render ${JSON.stringify(value)}`);
  return out;
}

function terminate(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
}
