/**
 * Bus throughput and latency: messages/s and publish-to-handled p50/p99, on
 * JetStream with one and two replica processes sharing one durable consumer,
 * and on the in-process bus, in one invocation. Replicas run as child
 * processes, so two replicas really have two event loops.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npx ts-node --transpile-only loadtest/bus-throughput.ts [messages]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
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

/** Publishes MESSAGES run requests, PUBLISH_WINDOW at a time, optionally paced. */
async function publishAll(
  producer: Bus,
  started: number,
  ratePerSecond: number | undefined,
  onSend: (runId: string) => void,
): Promise<void> {
  for (let i = 0; i < MESSAGES; i += PUBLISH_WINDOW) {
    const batch = [];
    for (let j = i; j < Math.min(i + PUBLISH_WINDOW, MESSAGES); j++) {
      const runId = `run-${j}`;
      onSend(runId);
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
      const wait = started + ((i + PUBLISH_WINDOW) / ratePerSecond) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** In one process (the in-process bus): publishes as fast as the bus takes them (ratePerSecond absent), or paced at a fixed rate. */
async function measureInProcess(
  scenario: string,
  producer: Bus,
  replicas: Bus[],
  ratePerSecond?: number,
): Promise<Result> {
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
  await publishAll(producer, started, ratePerSecond, (runId) => sentAt.set(runId, performance.now()));
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

interface ReplicaProcess {
  child: ChildProcess;
  latencies: number[];
  ready: Promise<void>;
}

function startReplica(namespace: string): ReplicaProcess {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'support', 'bus-replica.ts'), natsUrl, namespace],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const latencies: number[] = [];
  let buffered = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') markReady();
      else if (line.startsWith('handled ')) latencies.push(Number(line.slice(8)));
    }
  });
  return { child, latencies, ready };
}

/** JetStream with replica processes; latency from envelope.occurredAt (millisecond resolution). */
async function jetStream(replicaCount: number, rate?: number): Promise<Result> {
  const namespace = uniqueName('bench');
  const producer = await JetStreamBus.connect({ servers: natsUrl, namespace });
  const replicas = Array.from({ length: replicaCount }, () => startReplica(namespace));
  try {
    await Promise.all(replicas.map((r) => r.ready));
    const handled = () => replicas.reduce((n, r) => n + r.latencies.length, 0);
    const started = performance.now();
    await publishAll(producer, started, rate, () => undefined);
    while (handled() < MESSAGES) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    const latencies = replicas.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const name = `jetstream, ${replicaCount} replica process${replicaCount > 1 ? 'es' : ''}${rate ? `, paced ${rate}/s` : ''}`;
    return {
      scenario: name,
      messagesPerSecond: Math.round(MESSAGES / seconds),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  } finally {
    for (const r of replicas) r.child.kill('SIGTERM');
    await producer.close();
    await deleteTestStreams(natsUrl, namespace);
  }
}

async function inProcess(rate?: number): Promise<Result> {
  const broker = new InProcessBroker({ retainMessages: MESSAGES });
  const bus = new InProcessBus(broker);
  try {
    return await measureInProcess(`in-process${rate ? `, paced ${rate}/s` : ''}`, bus, [bus], rate);
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
