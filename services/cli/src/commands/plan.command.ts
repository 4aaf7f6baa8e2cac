import { sourceProfilerFromEnv } from '@aoe/source-analysis';
import { randomUUID } from 'node:crypto';
import { type CliIo, writeLine } from '../io';
import { decisionsTable, planTable } from '../output/describe';
import { targetLabel } from '../output/format';
import { openWhileChecking } from '../embedded/store-opening';
import { homeOf } from '../home';
import { checkSource, resolveArguments } from '../preflight';
import { tuneWasmTiering } from '../wasm-tiering';
import { withSession } from './session';

/**
 * `aoe plan <source> [--into <target>] [--json]`: the plan the agents would
 * run (profile → draft → optimized), and why, without running it. The plan
 * becomes the pipeline's current plan; `aoe ingest` re-plans anyway.
 */
export async function plan(sourceUri: string, options: { into?: string; json?: boolean }, io: CliIo): Promise<number> {
  const { source, target } = resolveArguments(sourceUri, options.into, io.env, io.cwd);
  tuneWasmTiering('bookkeeping');
  const { opening } = await openWhileChecking(homeOf(io).home, io.env, () => checkSource(source));
  // Source analysis's sample and statistics start now, while the store finishes opening.
  const profiler = sourceProfilerFromEnv(io.env);
  void profiler.profileAhead(source);
  return withSession(io, { store: opening, profiler }, async ({ flow, embedded }) => {
    const registered = await flow.registerSource(source);
    const pipeline = await flow.pipelineFor(registered, target, targetLabel(target));
    const correlationId = randomUUID();
    const optimized = await flow.plan(registered, pipeline, correlationId);
    const decisions = (await embedded.store.decisions.list({ correlationId, limit: 100 })).items.reverse();
    if (options.json) {
      writeLine(
        io.stdout,
        JSON.stringify({ pipelineId: pipeline.id, target: targetLabel(target), plan: optimized, decisions }),
      );
    } else {
      writeLine(io.stdout, `${registered.name} -> ${targetLabel(target)}`);
      writeLine(io.stdout, planTable(optimized));
      writeLine(io.stdout);
      writeLine(io.stdout, decisionsTable(decisions));
    }
    return 0;
  });
}
