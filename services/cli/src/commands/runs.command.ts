import { CliError, ExitCode } from '../errors';
import { type CliIo, writeLine } from '../io';
import { count, duration, table } from '../output/format';
import { withStore } from './store-session';

/** `aoe runs [--json] [--limit n]`: the latest runs, newest first. */
export async function runs(options: { json?: boolean; limit?: string }, io: CliIo): Promise<number> {
  const limit = Number(options.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new CliError('--limit takes a number from 1 to 500', ExitCode.usage);
  return withStore(io, async (store) => {
    const page = await store.runs.list({ limit });
    const names = new Map<string, string>();
    for (const run of page.items) {
      if (!names.has(run.pipelineId))
        names.set(run.pipelineId, (await store.pipelines.get(run.pipelineId))?.name ?? run.pipelineId);
    }
    if (options.json) {
      writeLine(io.stdout, JSON.stringify(page.items.map((run) => ({ ...run, pipeline: names.get(run.pipelineId) }))));
      return 0;
    }
    if (page.items.length === 0) {
      writeLine(io.stdout, 'no runs yet: try `aoe ingest examples/events.csv`');
      return 0;
    }
    writeLine(
      io.stdout,
      table(
        ['run', 'pipeline', 'status', 'trigger', 'rows loaded', 'duration', 'started'],
        page.items.map((run) => [
          run.id,
          names.get(run.pipelineId),
          run.status,
          run.trigger,
          run.stats ? count(run.stats.rowsLoaded) : '',
          run.stats ? duration(run.stats.durationMs) : '',
          run.startedAt ?? run.createdAt,
        ]),
      ),
    );
    return 0;
  });
}
