import { randomUUID } from 'node:crypto';
import type { LoadMode, TargetSpec } from '@aoe/contracts';
import type { Warehouse } from '@aoe/connectors';
import { CliError, ExitCode, oneLine } from '../errors';
import { type CliIo, writeLine } from '../io';
import { planLine } from '../output/describe';
import { bytes, count, duration, targetLabel } from '../output/format';
import { barProgress, lineProgress, silentProgress, type ProgressView } from '../output/progress';
import { openWhileChecking } from '../embedded/store-opening';
import { homeOf } from '../home';
import { tuneWasmTiering } from '../wasm-tiering';

/* eslint-disable @typescript-eslint/no-require-imports */
const load = {
  /** Loads the contracts (zod): required once the store has started opening. */
  preflight: () => require('../preflight') as typeof import('../preflight'),
  /** The embedded platform and the agent flow: most of the code, loaded while the store opens. */
  session: () => require('./session') as typeof import('./session'),
  sourceAnalysis: () => require('@aoe/source-analysis') as typeof import('@aoe/source-analysis'),
  /** The warehouse connector, for a warehouse target only. */
  connectors: () => require('@aoe/connectors') as typeof import('@aoe/connectors'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function openWarehouse(dir: string): Promise<Warehouse> {
  return load.connectors().Warehouse.open(dir);
}

export interface IngestOptions {
  into?: string;
  mode?: LoadMode;
  json?: boolean;
}

/** What `aoe ingest --json` prints: exactly this object (with `error` when it did not succeed). */
export interface IngestResult {
  runId: string | null;
  status: 'succeeded' | 'failed' | 'cancelled';
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  target: string | null;
  durationMs: number;
  error?: string;
}

/**
 * `aoe ingest <source> [--into <target>] [--mode …] [--json]`: checks the
 * source and the target, registers the source and its pipeline (the same
 * ones again for the same source and target), runs the agent flow (analyse →
 * plan → optimize) over the bus, requests the run and follows it to its end.
 */
export async function ingest(sourceUri: string, options: IngestOptions, io: CliIo): Promise<number> {
  const started = Date.now();
  let target: TargetSpec | undefined;
  let runId: string | null = null;
  const fail = (error: unknown): number => {
    const cliError =
      error instanceof CliError ? error : new CliError(oneLine((error as Error).message ?? String(error)));
    if (options.json) {
      const result: IngestResult = {
        runId,
        status: 'failed',
        rowsRead: 0,
        rowsLoaded: 0,
        rowsQuarantined: 0,
        target: target ? targetLabel(target) : null,
        durationMs: Date.now() - started,
        error: cliError.message,
      };
      writeLine(io.stdout, JSON.stringify(result));
    }
    writeLine(io.stderr, `aoe: ${oneLine(cliError.message)}`);
    return cliError.exitCode;
  };

  try {
    const { home, warehouseDir } = homeOf(io);
    // Without --into, the load goes into the embedded warehouse (PGlite).
    tuneWasmTiering(options.into === undefined ? 'queries' : 'bookkeeping');
    // The store starts opening first: parsing the arguments already loads the contracts.
    const { opening, checked: args } = await openWhileChecking(home, io.env, async () => {
      const { checkSource, checkTarget, resolveArguments } = load.preflight();
      const resolved = resolveArguments(sourceUri, options.into, io.env, io.cwd);
      target = resolved.target;
      await checkSource(resolved.source);
      if (resolved.target.kind !== 'warehouse') await checkTarget(resolved.target, warehouseDir);
      return resolved;
    });
    const { source, target: chosenTarget } = args;
    // Source analysis's sample and statistics start now, while the store finishes opening.
    const profiler = load.sourceAnalysis().sourceProfilerFromEnv(io.env);
    void profiler.profileAhead(source);

    // Bars on a terminal (stderr); plain lines otherwise, on stdout, so stderr carries nothing but a failure's reason.
    const view: ProgressView = options.json
      ? silentProgress
      : io.stderr.isTTY
        ? barProgress(io.stderr)
        : lineProgress(io.stdout);
    return await load.session().withSession(io, { store: opening, profiler }, async ({ flow, embedded }) => {
      // Keep the warehouse open for the whole command: the check and the load share one instance.
      const warehouse = chosenTarget.kind === 'warehouse' ? await openWarehouse(warehouseDir) : undefined;
      try {
        if (chosenTarget.kind === 'warehouse') await load.preflight().checkTarget(chosenTarget, warehouseDir);
        runId = randomUUID();
        const registered = await flow.registerSource(source);
        const pipeline = await flow.pipelineFor(registered, chosenTarget, targetLabel(chosenTarget));
        view.step(`analyzing ${registered.name}`);
        const interrupted = io.interrupted;
        const stopped = interrupted?.then(() => {
          throw new CliError('interrupted before the run started; nothing was loaded', ExitCode.interrupted);
        });
        let plan = await Promise.race([
          flow.plan(registered, pipeline, runId, (step) => view.step(step)),
          ...(stopped ? [stopped] : []),
        ]);
        const profile = (await embedded.store.profiles.latest(registered.id))?.profile;
        if (options.mode) plan = await flow.overrideMode(plan, options.mode, profile);
        view.step(planLine(plan));
        view.expect(
          plan.tasks.filter((t) => t.kind === 'load').map((t) => t.id),
          profile?.rowCountEstimate,
        );
        const { run, interrupted: cancelled } = await flow.run(plan, runId, {
          onTask: (e) => view.task(e),
          interrupted,
        });
        view.stop();

        const stats = run.stats ?? { rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, bytes: 0, durationMs: 0 };
        const status = run.status === 'succeeded' || run.status === 'cancelled' ? run.status : 'failed';
        const result: IngestResult = {
          runId: run.id,
          status,
          rowsRead: stats.rowsRead,
          rowsLoaded: stats.rowsLoaded,
          rowsQuarantined: stats.rowsQuarantined,
          target: targetLabel(chosenTarget),
          durationMs: Date.now() - started,
          ...(status === 'succeeded' ? {} : { error: run.error?.message ?? `the run ended ${run.status}` }),
        };
        if (options.json) writeLine(io.stdout, JSON.stringify(result));
        if (status === 'succeeded') {
          if (!options.json) {
            writeLine(
              io.stdout,
              `loaded ${count(stats.rowsLoaded)} rows into ${result.target} in ${duration(result.durationMs)} (read ${count(stats.rowsRead)}, ${bytes(stats.bytes)}; quarantined ${count(stats.rowsQuarantined)})`,
            );
            writeLine(io.stdout, `run ${run.id}; ${planLine(plan)}`);
          }
          return ExitCode.ok;
        }
        writeLine(io.stderr, `aoe: run ${run.status}: ${oneLine(result.error!)}`);
        return cancelled ? ExitCode.interrupted : ExitCode.failed;
      } finally {
        view.stop();
        await warehouse?.close();
      }
    });
  } catch (error) {
    return fail(error);
  }
}
