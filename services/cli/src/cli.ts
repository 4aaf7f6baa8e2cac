import { Command, CommanderError, Option } from 'commander';
import type { LoadMode } from '@aoe/contracts';
import { CliError, ExitCode, oneLine } from './errors';
import type { CliIo } from './io';
import type { UpOptions } from './commands/mesh.command';

/*
 * Each command is loaded when it runs, so `aoe sql` or `aoe runs` do not pay
 * for loading every service and the agents (about two seconds).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const load = {
  ingest: () => require('./commands/ingest.command') as typeof import('./commands/ingest.command'),
  analyze: () => require('./commands/analyze.command') as typeof import('./commands/analyze.command'),
  plan: () => require('./commands/plan.command') as typeof import('./commands/plan.command'),
  runs: () => require('./commands/runs.command') as typeof import('./commands/runs.command'),
  decisions: () => require('./commands/decisions.command') as typeof import('./commands/decisions.command'),
  sql: () => require('./commands/sql.command') as typeof import('./commands/sql.command'),
  serve: () => require('./commands/serve.command') as typeof import('./commands/serve.command'),
  worker: () => require('./commands/worker.command') as typeof import('./commands/worker.command'),
  admin: () => require('./commands/admin.command') as typeof import('./commands/admin.command'),
  backup: () => require('./commands/admin/backup.command') as typeof import('./commands/admin/backup.command'),
  mesh: () => require('./commands/mesh.command') as typeof import('./commands/mesh.command'),
  store: () => require('./commands/store.command') as typeof import('./commands/store.command'),
  resumeRuns: () =>
    require('./commands/admin/resume-runs.command') as typeof import('./commands/admin/resume-runs.command'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** LoadMode's values, spelled out so that building the program (and `aoe --help`) does not load the contracts. */
const LOAD_MODES: Record<LoadMode, true> = { append: true, replace: true, merge: true };

const SERVICES = ['gateway', 'source-analysis', 'planner', 'optimizer', 'dispatcher', 'monitor', 'recovery'];

const SOURCE_HELP =
  'a file path or glob (CSV, JSONL, Parquet), s3://bucket/prefix, postgres://user@host:port/db#schema.table, or http(s)://…';
const TARGET_HELP =
  'postgres://user@host:port/db#schema.table, s3://bucket/prefix or a directory (default: the embedded warehouse)';

/** Builds the `aoe` program; each action stores its exit code in `result`. */
function program(io: CliIo, result: { code: number }): Command {
  const root = new Command('aoe')
    .description(
      'Agent-Orchestrated ETL: name a source and a target; agents analyse, plan, tune, run and watch the pipeline.',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`aoe: ${oneLine(text.replace(/^error: /, ''))}\n`),
    });
  const set = (code: number) => {
    result.code = code;
  };

  root
    .command('ingest')
    .description('load a source into a target: analyse, plan, optimize and run, and wait for the run to end')
    .argument('<source>', SOURCE_HELP)
    .option('--into <target>', TARGET_HELP)
    .addOption(
      new Option('--mode <mode>', "load mode instead of the planner's choice").choices(Object.keys(LOAD_MODES)),
    )
    .option(
      '--json',
      'print one JSON object {runId, status, rowsRead, rowsLoaded, rowsQuarantined, target, durationMs}',
    )
    .action(async (source: string, options: { into?: string; mode?: LoadMode; json?: boolean }) =>
      set(await load.ingest().ingest(source, options, io)),
    );

  root
    .command('analyze')
    .description('profile a source: columns, types, keys, cursor columns, volume, PII hints')
    .argument('<source>', SOURCE_HELP)
    .option('--json', 'print the profile as JSON')
    .action(async (source: string, options: { json?: boolean }) =>
      set(await load.analyze().analyze(source, options, io)),
    );

  root
    .command('plan')
    .description('show the plan the agents would run for a source and target, and why')
    .argument('<source>', SOURCE_HELP)
    .option('--into <target>', TARGET_HELP)
    .option('--json', 'print {pipelineId, target, plan, decisions} as JSON')
    .action(async (source: string, options: { into?: string; json?: boolean }) =>
      set(await load.plan().plan(source, options, io)),
    );

  root
    .command('runs')
    .description('list the latest runs, newest first')
    .option('--limit <n>', 'how many (1-500)', '20')
    .option('--json', 'print the runs as JSON')
    .action(async (options: { limit?: string; json?: boolean }) => set(await load.runs().runs(options, io)));

  root
    .command('decisions')
    .description('why a run looks as it does: the agent decisions behind it')
    .argument('<run-id>', 'a run id (see aoe runs)')
    .option('--json', 'print the decisions as JSON')
    .action(async (runId: string, options: { json?: boolean }) =>
      set(await load.decisions().decisions(runId, options, io)),
    );

  root
    .command('sql')
    .description('run SQL on the embedded warehouse')
    .argument('<query>', 'SQL; several statements separated by ; print the last result')
    .option('--json', 'print the rows as a JSON array')
    .action(async (query: string, options: { json?: boolean }) => set(await load.sql().sql(query, options, io)));

  const store = root
    .command('store')
    .description("the home's control-plane store: PGlite, kept open between commands by a store daemon");
  store
    .command('stop')
    .description('stop the store daemon of this home (AOE_HOME), if one is running; the next command starts it again')
    .option('--json', 'print the outcome as JSON')
    .action(async (options: { json?: boolean }) => set(await load.store().stopStore(options, io)));

  root
    .command('serve')
    .description('run one service of the mesh (NATS_URL, DATABASE_URL)')
    .argument('<service>', SERVICES.join(' | '))
    .action(async (service: string) => set(await load.serve().serve(service, io)));

  const worker = root.command('worker').description('what Airflow tasks call, in mesh mode');
  worker
    .command('run-task')
    .description('run one task of a run (the chain ending in that load task) and report it')
    .requiredOption('--run <id>', 'the run id')
    .requiredOption('--task <id>', 'the plan task id')
    .option('--json', 'print the outcome as JSON')
    .action(async (options: { run: string; task: string; json?: boolean }) =>
      set(await load.worker().workerRunTask(options, io)),
    );

  const admin = root.command('admin').description('operate the mesh (DATABASE_URL, NATS_URL)');
  registerBackupCommands(admin, io, set);
  const apiKey = admin
    .command('api-key')
    .description("the gateway's API keys: stored hashed, scoped read < write < admin");
  apiKey
    .command('create')
    .description('create a key; it is printed once and never again')
    .requiredOption('--scope <scope>', 'read | write | admin')
    .option('--name <name>', 'what the key is for')
    .option('--json', 'print {id, name, scope, key, …} as JSON')
    .action(async (options: { scope: string; name?: string; json?: boolean }) =>
      set(await load.admin().createApiKey(options, io)),
    );
  apiKey
    .command('revoke')
    .description('revoke a key for good')
    .argument('<id>', 'the key id (aoe admin api-key list)')
    .action(async (id: string) => set(await load.admin().revokeApiKey(id, io)));
  apiKey
    .command('list')
    .description('list keys (never their secrets)')
    .option('--json', 'print the keys as JSON')
    .action(async (options: { json?: boolean }) => set(await load.admin().listApiKeys(options, io)));

  registerMeshCommands(root, io, set);

  return root;
}

/** `aoe mesh up|down|status`: every service of the mesh as its own Node process. */
function registerMeshCommands(root: Command, io: CliIo, set: (code: number) => void): void {
  const mesh = root
    .command('mesh')
    .description('run every service of the mesh as its own processes (NATS_URL, DATABASE_URL)');
  mesh
    .command('up')
    .description('start every service (N replicas each), wait until each answers /readyz; Ctrl-C stops them')
    .option('--replicas <n>', 'replicas of every service', '1')
    .option('--service <name=N>', 'replicas of one service (repeatable; 0 leaves it out)', collect, [])
    .option('--detach', 'return once every replica is ready and leave them running (aoe mesh down stops them)')
    .option('--ready-timeout <seconds>', 'how long to wait for every replica to be ready', '120')
    .addOption(new Option('--base-port <port>', 'first HTTP port; replicas take the next free ones').default('9400'))
    .addOption(new Option('--grpc-base-port <port>', "first gRPC port (the gateway's AOE_GRPC_PORT)").default('50051'))
    .option('--json', 'print the processes as JSON')
    .action(async (options: UpOptions) => set(await load.mesh().meshUp(options, io)));
  mesh
    .command('down')
    .description('stop every process of the mesh: SIGTERM, then SIGKILL after the grace period')
    .option('--grace <seconds>', 'how long a replica may take to finish its in-flight work', '20')
    .action(async (options: { grace: string }) => set(await load.mesh().meshDown(options, io)));
  mesh
    .command('services')
    .description('the services mesh up starts: every services/<name> tagged type:service, and whether it is built')
    .option('--json', 'print the services as JSON')
    .action(async (options: { json?: boolean }) => set(await load.mesh().meshServices(options, io)));
  mesh
    .command('status')
    .description('each process of the mesh: running, ready, port and log')
    .option('--json', 'print the processes as JSON')
    .action(async (options: { json?: boolean }) => set(await load.mesh().meshStatus(options, io)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `aoe admin backup|restore|resume-runs` and `aoe admin streams backup|restore` (docs/operations-backup.md). */
function registerBackupCommands(admin: Command, io: CliIo, set: (code: number) => void): void {
  admin
    .command('backup')
    .description("back up the control-plane store (DATABASE_URL, AOE_STORE_SCHEMA) with pg_dump's custom format")
    .option('--out <file>', 'where to write the dump (default: aoe-store-<schema>-<time>.dump)')
    .option('--json', 'print {file, bytes, tables, durationMs, schema} as JSON')
    .action(async (options: { out?: string; json?: boolean }) => set(await load.backup().backup(options, io)));
  admin
    .command('restore')
    .description('restore a store backup into an empty database, in one transaction')
    .argument('<file>', 'a dump written by aoe admin backup')
    .option('--into <database-url>', 'the database to restore into (default: DATABASE_URL)')
    .option('--force', "restore into a non-empty database, replacing the backup's objects")
    .option('--json', 'print {database, schemas, tables, durationMs} as JSON')
    .action(async (file: string, options: { into?: string; force?: boolean; json?: boolean }) =>
      set(await load.backup().restore(file, options, io)),
    );
  admin
    .command('resume-runs')
    .description('after a restore: ask again for every run the store shows queued or running (NATS_URL too)')
    .option('--json', 'print [{runId, pipelineId, status}] as JSON')
    .action(async (options: { json?: boolean }) => set(await load.resumeRuns().resumeRuns(options, io)));
  const streams = admin
    .command('streams')
    .description("the bus's JetStream streams and consumers (NATS_URL, AOE_BUS_NAMESPACE)");
  streams
    .command('backup')
    .description('write the stream and consumer definitions to a JSON file (not the messages)')
    .option('--out <file>', 'where to write (default: aoe-streams-<namespace>-<time>.json)')
    .option('--json', 'print {file, streams, consumers} as JSON')
    .action(async (options: { out?: string; json?: boolean }) => set(await load.backup().streamsBackup(options, io)));
  streams
    .command('restore')
    .description('create the streams and consumers of a streams backup')
    .argument('<file>', 'a file written by aoe admin streams backup')
    .option('--namespace <ns>', "the bus namespace to create them in (default: AOE_BUS_NAMESPACE, else the backup's)")
    .option('--force', 'update streams that already exist')
    .option('--json', 'print {namespace, streams, consumers} as JSON')
    .action(async (file: string, options: { namespace?: string; force?: boolean; json?: boolean }) =>
      set(await load.backup().streamsRestore(file, options, io)),
    );
}

/** Runs `aoe` with these arguments; resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const result = { code: ExitCode.ok as number };
  try {
    await program(io, result).parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      return ExitCode.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`aoe: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    io.stderr.write(`aoe: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return ExitCode.failed;
  }
}
