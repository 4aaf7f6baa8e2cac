/**
 * Bus throughput and latency: messages/s and publish-to-handled p50/p99, on
 * JetStream with one and two replicas (separate connections sharing one
 * durable consumer) and on the in-process bus, in one invocation.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npx ts-node --transpile-only loadtest/bus-throughput.ts [messages]
 */
import { performance } from 'node:perf_hooks';
import { Messages } from '@aoe/contracts';
import { InProcessBroker, InProcessBus, JetStreamBus, type Bus } from '@aoe/messaging';
import { deleteTestStreams, uniqueName } from '@aoe/testing';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const PUBLISH_WINDOW = Number(process.env.PUBLISH_WINDOW ?? 256);
const PACED_RATE = 2_000;
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

interface Result {
  scenario: string;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Publishes as fast as the bus takes them (ratePerSecond absent), or paced at a fixed rate. */
async function measure(scenario: string, producer: Bus, replicas: Bus[], ratePerSecond?: number): Promise<Result> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let done!: () => void;
  const allHandled = new Promise<void>((resolve) => (done = resolve));
  for (const replica of replicas) {
    await replica.subscribe({
      service: 'bench',
      definitions: [Messages.RunRequested],
      concurrency: 64,
      handler: async (m) => {
        latencies.push(performance.now() - sentAt.get(m.payload.runId)!);
        if (latencies.length === MESSAGES) done();
      },
    });
  }
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += PUBLISH_WINDOW) {
    const batch = [];
    for (let j = i; j < Math.min(i + PUBLISH_WINDOW, MESSAGES); j++) {
      const runId = `run-${j}`;
      sentAt.set(runId, performance.now());
      batch.push(
        producer.publish(
          Messages.RunRequested,
          { runId, pipelineId: 'bench', trigger: 'api' },
          { correlationId: runId },
        ),
      );
    }
    await Promise.all(batch);
    if (ratePerSecond) {
      const due = started + ((i + PUBLISH_WINDOW) / ratePerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  await allHandled;
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    scenario,
    messagesPerSecond: Math.round(MESSAGES / seconds),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

async function jetStream(replicaCount: number, rate?: number): Promise<Result> {
  const namespace = uniqueName('bench');
  const producer = await JetStreamBus.connect({ servers: natsUrl, namespace });
  const replicas = await Promise.all(
    Array.from({ length: replicaCount }, () => JetStreamBus.connect({ servers: natsUrl, namespace })),
  );
  try {
    const name = `jetstream, ${replicaCount} replica${replicaCount > 1 ? 's' : ''}${rate ? `, paced ${rate}/s` : ''}`;
    return await measure(name, producer, replicas, rate);
  } finally {
    await Promise.all([producer, ...replicas].map((b) => b.close()));
    await deleteTestStreams(natsUrl, namespace);
  }
}

async function inProcess(rate?: number): Promise<Result> {
  const broker = new InProcessBroker({ retainMessages: MESSAGES });
  const bus = new InProcessBus(broker);
  try {
    return await measure(`in-process${rate ? `, paced ${rate}/s` : ''}`, bus, [bus], rate);
  } finally {
    await bus.close();
    broker.close();
  }
}

async function main(): Promise<void> {
  console.log(`bus benchmark: ${MESSAGES} messages per scenario, ${PUBLISH_WINDOW} publishes in flight`);
  console.log('saturated: publishers never wait, so latency here is mostly queueing');
  const saturated = [await jetStream(1), await jetStream(2), await inProcess()];
  console.table(saturated);
  const base = saturated[0].messagesPerSecond;
  for (const r of saturated.slice(1)) {
    console.log(`${r.scenario}: ${(r.messagesPerSecond / base).toFixed(2)}x the 1-replica JetStream rate`);
  }
  console.log(`paced at ${PACED_RATE} messages/s: latency of an unsaturated bus`);
  console.table([await jetStream(1, PACED_RATE), await jetStream(2, PACED_RATE), await inProcess(PACED_RATE)]);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
