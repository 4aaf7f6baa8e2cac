/**
 * One bus replica process for the throughput benchmark: handles RunRequested
 * as service "bench" and prints, per message, the publish-to-handled latency
 * (from the envelope's occurredAt). Usage: bus-replica <nats-url> <namespace>
 */
import { Messages } from '@aoe/contracts';
import { JetStreamBus } from '@aoe/messaging';

async function main(): Promise<void> {
  const [servers, namespace] = process.argv.slice(2);
  const bus = await JetStreamBus.connect({ servers, namespace });
  const lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) process.stdout.write(lines.splice(0).join(''));
  };
  setInterval(flush, 100).unref();
  await bus.subscribe({
    service: 'bench',
    definitions: [Messages.RunRequested],
    concurrency: 64,
    handler: async (m) => {
      lines.push(`handled ${Date.now() - Date.parse(m.envelope.occurredAt)}\n`);
    },
  });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    flush();
    void bus.close().then(() => process.exit(0));
  });
}

void main();
