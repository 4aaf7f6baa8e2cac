import { sourceProfilerFromEnv } from '@aoe/source-analysis';
import { type CliIo, writeLine } from '../io';
import { profileTable } from '../output/describe';
import { openWhileChecking } from '../embedded/store-opening';
import { homeOf } from '../home';
import { checkSource, resolveArguments } from '../preflight';
import { tuneWasmTiering } from '../wasm-tiering';
import { withSession } from './session';

/** `aoe analyze <source> [--json]`: profiles the source (columns, types, keys, cursors, PII hints) and prints it. */
export async function analyze(sourceUri: string, options: { json?: boolean }, io: CliIo): Promise<number> {
  const { source } = resolveArguments(sourceUri, undefined, io.env, io.cwd);
  tuneWasmTiering('bookkeeping');
  const { opening } = await openWhileChecking(homeOf(io).home, io.env, () => checkSource(source));
  // Source analysis's sample and statistics start now, while the store finishes opening.
  const profiler = sourceProfilerFromEnv(io.env);
  void profiler.profileAhead(source);
  return withSession(io, { store: opening, profiler }, async ({ flow }) => {
    const registered = await flow.registerSource(source);
    const profile = await flow.analyze(registered);
    writeLine(
      io.stdout,
      options.json
        ? JSON.stringify({ sourceId: registered.id, name: registered.name, profile })
        : profileTable(profile),
    );
    return 0;
  });
}
