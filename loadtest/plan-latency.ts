/**
 * Agents' latency: source registered -> optimized plan stored, p50 and p99
 * over sources of different shapes, in embedded mode (in-process bus, PGlite
 * store) and on the JetStream mesh (NATS, PostgreSQL, one app per service).
 * No model: the rules brains decide.
 *
 *   NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/plan-latency.ts [rounds=3]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Type } from '@nestjs/common';
import { Messages, type SourceSpec } from '@aoe/contracts';
import { InProcessBroker, InProcessBus, type Bus } from '@aoe/messaging';
import { OptimizerModule } from '@aoe/optimizer';
import { PlannerModule } from '@aoe/planner';
import { registerReadiness, startServiceApp, type ServiceApp } from '@aoe/service-kit';
import { createTestMesh } from '@aoe/service-kit/testing';
import { SourceAnalysisModule } from '@aoe/source-analysis';
import { openStore, type Store } from '@aoe/store';
import { setupTelemetry } from '@aoe/telemetry';

const ROUNDS = Number(process.argv[2] ?? 3);
process.env.LOG_LEVEL ??= 'warn';
process.env.AOE_MONITOR_FRESHNESS_CHECK_MS = '0';

const SERVICES: Array<[string, Type]> = [
  ['source-analysis', SourceAnalysisModule],
  ['planner', PlannerModule],
  ['optimizer', OptimizerModule],
];

/** Source shapes of the planner corpus, as real files. */
async function writeSources(dir: string): Promise<Array<{ name: string; spec: SourceSpec }>> {
  const rows = (n: number, row: (i: number) => string) => Array.from({ length: n }, (_, i) => row(i + 1)).join('\n');
  const ts = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 61_000).toISOString();
  const files: Record<string, string> = {
    'event-log.csv': `event_id,occurred_at,kind,value\n${rows(5000, (i) => `${i},${ts(i)},click,${i % 97}`)}`,
    'customers.csv': `id,email,phone,full_name,updated_at\n${rows(3000, (i) => `${i},user${i}@example.com,+1555${String(i).padStart(7, '0')},Ana Smith ${i},${ts(i)}`)}`,
    'no-key.csv': `city,temp\n${rows(2000, (i) => `city${i % 50},${(i % 40) - 5}`)}`,
    'wide.csv': `${Array.from({ length: 120 }, (_, c) => `c${c}`).join(',')}\n${rows(500, (i) => Array.from({ length: 120 }, (_, c) => i * c).join(','))}`,
    'lookup.csv': 'code,label\nA,alpha\nB,beta\nC,gamma\n',
    'dirty.csv': `id;amount;note\n${rows(1000, (i) => (i % 50 === 0 ? `${i};oops` : `${i};${i * 1.5};"x; y"`))}`,
    'nested.jsonl': rows(2000, (i) => JSON.stringify({ id: i, user: { email: `u${i}@x.io`, tier: i % 3 }, at: ts(i) })),
    'orders.jsonl': rows(4000, (i) =>
      JSON.stringify({ order_id: i, customer_id: i % 300, total: i * 0.7, created_at: ts(i) }),
    ),
  };
  const sources = [];
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text + '\n');
    sources.push({
      name,
      spec: { kind: 'file', path: join(dir, name), format: 'auto', compression: 'auto' } as SourceSpec,
    });
  }
  return sources;
}

async function measure(mode: string, store: Store, bus: Bus, sources: Array<{ name: string; spec: SourceSpec }>) {
  const done = new Map<string, () => void>();
  await bus.subscribe({
    service: `latency-watch-${randomUUID().slice(0, 8)}`,
    definitions: [Messages.PlanOptimized],
    handler: async (m) => done.get(m.payload.plan.pipelineId)?.(),
  });
  const latencies: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const source of sources) {
      const pipelineId = randomUUID();
      const optimized = new Promise<void>((resolve) => done.set(pipelineId, resolve));
      const started = performance.now();
      const registered = await store.sources.create({ name: `${source.name}-${pipelineId}`, spec: source.spec });
      await bus.publish(
        Messages.AnalyzeSource,
        {
          sourceId: registered.id,
          spec: registered.spec,
          pipeline: { pipelineId, target: { kind: 'warehouse', table: { schema: 'public', name: 't' } } },
        },
        { correlationId: pipelineId },
      );
      await optimized;
      const plan = await store.plans.latest(pipelineId);
      if (!plan) throw new Error(`no plan stored for ${source.name}`);
      latencies.push(performance.now() - started);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return {
    mode,
    plans: latencies.length,
    p50Ms: Math.round(at(50)),
    p99Ms: Math.round(at(99)),
    maxMs: Math.round(latencies.at(-1)!),
  };
}

async function embedded(sources: Array<{ name: string; spec: SourceSpec }>) {
  const telemetry = setupTelemetry('plan-latency');
  const store = await openStore({ url: 'pglite://memory' });
  const broker = new InProcessBroker();
  const bus = new InProcessBus(broker);
  registerReadiness({ telemetry, bus, store });
  const app = await startServiceApp({
    service: 'aoe',
    modules: SERVICES.map(([, m]) => m),
    platform: { telemetry, bus, store },
    listen: false,
  });
  try {
    return await measure('embedded (in-process bus, PGlite)', store, bus, sources);
  } finally {
    await app.close();
    broker.close();
  }
}

async function mesh(sources: Array<{ name: string; spec: SourceSpec }>) {
  const testMesh = await createTestMesh('planlat');
  try {
    const apps: ServiceApp[] = [];
    for (const [name, module] of SERVICES) apps.push(await testMesh.start(name, [module]));
    const client = await testMesh.start('bench-client', []);
    return await measure(
      'mesh (JetStream, PostgreSQL, one app per service)',
      client.platform.store,
      client.platform.bus,
      sources,
    );
  } finally {
    await testMesh.stop();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'aoe-plan-latency-'));
  try {
    const sources = await writeSources(dir);
    console.log(`plan latency: ${sources.length} source shapes x ${ROUNDS} rounds per mode; rules brains, no model`);
    console.table([await embedded(sources), await mesh(sources)]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
