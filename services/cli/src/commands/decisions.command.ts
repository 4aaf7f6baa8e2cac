import type { AgentDecision } from '@aoe/contracts';
import { CliError, ExitCode } from '../errors';
import { type CliIo, writeLine } from '../io';
import { decisionsTable } from '../output/describe';
import { withStore } from './store-session';

/**
 * `aoe decisions <run-id> [--json]`: why the run's pipeline looks as it does —
 * every agent decision of the flow that led to the run (the ingest's
 * correlation id is the run id), or, for a run started otherwise, the latest
 * decisions about its pipeline and source.
 */
export async function decisions(runId: string, options: { json?: boolean }, io: CliIo): Promise<number> {
  return withStore(io, async (store) => {
    const run = await store.runs.get(runId);
    if (!run) throw new CliError(`no run "${runId}" (see aoe runs)`, ExitCode.usage);
    const found = new Map<string, AgentDecision>();
    const add = (items: AgentDecision[]) => items.forEach((d) => found.set(d.id, d));
    add((await store.decisions.list({ correlationId: runId, limit: 200 })).items);
    add((await store.decisions.list({ subjectId: runId, limit: 200 })).items);
    if (found.size === 0) {
      const pipeline = await store.pipelines.get(run.pipelineId);
      add((await store.decisions.list({ subjectId: run.pipelineId, limit: 20 })).items);
      if (pipeline) add((await store.decisions.list({ subjectId: pipeline.sourceId, limit: 20 })).items);
    }
    const list = [...found.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    writeLine(io.stdout, options.json ? JSON.stringify(list) : decisionsTable(list));
    return 0;
  });
}
