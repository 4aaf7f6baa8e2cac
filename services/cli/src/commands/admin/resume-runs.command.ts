import { JetStreamBus } from '@aoe/messaging';
import { openStore } from '@aoe/store';
import { scrubText } from '@aoe/telemetry';
import { resumeUnfinishedRuns } from '../../backup/resume-runs';
import { CliError, ExitCode } from '../../errors';
import { type CliIo, writeLine } from '../../io';
import { table } from '../../output/format';
import { required } from './backup.command';

/** `aoe admin resume-runs`: ask again for every run the (restored) store shows queued or running. */
export async function resumeRuns(options: { json?: boolean }, io: CliIo): Promise<number> {
  const databaseUrl = required(io, 'DATABASE_URL', 'the (restored) store');
  const natsUrl = required(io, 'NATS_URL', 'the bus the dispatchers consume');
  const store = await openStore({
    url: databaseUrl,
    schema: io.env.AOE_STORE_SCHEMA || undefined,
    applicationName: 'aoe-admin',
  }).catch((error: Error) => {
    throw new CliError(`cannot open the store: ${scrubText(error.message)}`, ExitCode.unreachable);
  });
  try {
    const bus = await JetStreamBus.connect({
      servers: natsUrl.split(','),
      namespace: io.env.AOE_BUS_NAMESPACE || undefined,
      connection: { maxReconnectAttempts: 0 },
    }).catch((error: Error) => {
      throw new CliError(`cannot connect to NATS at ${natsUrl}: ${error.message}`, ExitCode.unreachable);
    });
    try {
      const resumed = await resumeUnfinishedRuns(store, bus);
      if (options.json) writeLine(io.stdout, JSON.stringify(resumed));
      else if (resumed.length === 0) writeLine(io.stdout, 'no queued or running runs: nothing to resume');
      else
        writeLine(
          io.stdout,
          table(
            ['run', 'pipeline', 'was'],
            resumed.map((r) => [r.runId, r.pipelineId, r.status]),
          ),
        );
      return 0;
    } finally {
      await bus.close();
    }
  } finally {
    await store.close();
  }
}
