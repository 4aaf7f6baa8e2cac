import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, type Type } from '@nestjs/common';
import {
  Messages,
  type Envelope,
  type MessageDefinition,
  type PipelinePlan,
  type SourceSpec,
  type TargetSpec,
} from '@aoe/contracts';
import type { Batch, SourceConnector } from '@aoe/connectors';
import type { Bus } from '@aoe/messaging';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import type { Store } from '@aoe/store';
import { uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { ConnectorProvider } from '../src';

export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface EventRow {
  id: number;
  name: string;
  amount: number | null;
}

/** A CSV of `rows` events (id,name,amount); every 7th amount is empty when `withNulls`. */
export async function writeEventsCsv(
  rows: number,
  options: { withNulls?: boolean; from?: number } = {},
): Promise<{ path: string; rows: EventRow[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'aoe-dispatcher-'));
  const path = join(dir, 'events.csv');
  const from = options.from ?? 1;
  const data: EventRow[] = Array.from({ length: rows }, (_, i) => ({
    id: from + i,
    name: `event ${from + i}`,
    amount: options.withNulls && (from + i) % 7 === 0 ? null : ((from + i) * 37) % 1000,
  }));
  await writeFile(path, `id,name,amount\n${data.map((r) => `${r.id},${r.name},${r.amount ?? ''}`).join('\n')}\n`);
  return { path, rows: data };
}

/** md5 over `id|name|amount` lines in id order: the same expression runs in PostgreSQL. */
export function expectedChecksum(rows: EventRow[]): string {
  const text = [...rows]
    .sort((a, b) => a.id - b.id)
    .map((r) => `${r.id}|${r.name}|${r.amount ?? ''}`)
    .join('\n');
  return createHash('md5').update(text).digest('hex');
}

export async function tableChecksum(client: Client, table: string): Promise<{ count: number; md5: string | null }> {
  const result = await client.query<{ count: number; md5: string | null }>(
    `SELECT count(*)::int AS count,
            md5(string_agg(id::text || '|' || name || '|' || coalesce(amount::text, ''), E'\\n' ORDER BY id)) AS md5
       FROM ${table}`,
  );
  return result.rows[0];
}

export async function tableExists(client: Client, table: string): Promise<boolean> {
  const result = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  return result.rows[0].t !== null;
}

export function plan(input: {
  pipelineId: string;
  sourceId: string;
  target: TargetSpec;
  version?: number;
  tasks?: PipelinePlan['tasks'];
  batchSize?: number;
  schedule?: string;
}): PipelinePlan {
  return {
    pipelineId: input.pipelineId,
    sourceId: input.sourceId,
    version: input.version ?? 1,
    target: input.target,
    policy: { maskPii: false, schemaEvolution: 'additive' },
    tasks: input.tasks ?? [
      { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
      {
        id: 'clean',
        kind: 'transform',
        dependsOn: ['extract'],
        params: { operations: [{ op: 'cast', column: 'amount', to: 'integer' }] },
      },
      {
        id: 'check',
        kind: 'validate',
        dependsOn: ['clean'],
        params: { rules: [{ rule: 'not-null', column: 'id' }], onFailure: 'fail' },
      },
      { id: 'load', kind: 'load', dependsOn: ['check'], params: { mode: 'append', schemaEvolution: 'additive' } },
    ],
    settings: { batchSize: input.batchSize ?? 1000, readParallelism: 1, loadConcurrency: 2 },
    ...(input.schedule ? { schedule: input.schedule } : {}),
    createdBy: 'rules',
    createdAt: new Date().toISOString(),
  };
}

/** Registers the source and the pipeline, and publishes the optimized plan (the dispatcher activates it). */
export async function setUpPipeline(
  store: Store,
  bus: Bus,
  input: {
    source: SourceSpec;
    target: TargetSpec;
    planFor: (ids: { pipelineId: string; sourceId: string }) => PipelinePlan;
  },
): Promise<{ pipelineId: string; sourceId: string; plan: PipelinePlan }> {
  const source = await store.sources.create({ spec: input.source });
  const pipeline = await store.pipelines.create({
    sourceId: source.id,
    name: `p-${randomUUID()}`,
    target: input.target,
  });
  const optimized = input.planFor({ pipelineId: pipeline.id, sourceId: source.id });
  await bus.publish(Messages.PlanOptimized, { plan: optimized }, { correlationId: pipeline.id });
  await eventually(
    async () => ((await store.pipelines.get(pipeline.id))?.currentPlanVersion ? true : undefined),
    'the plan to be activated',
  );
  return { pipelineId: pipeline.id, sourceId: source.id, plan: optimized };
}

/** Everything published on `filter`, as a separate consumer sees it. */
export type Recorded = Envelope<{ [key: string]: any }>;

export async function record(bus: Bus, filter: string, definitions: MessageDefinition[]): Promise<Recorded[]> {
  const seen: Recorded[] = [];
  await bus.subscribe({
    service: `observer_${randomUUID().slice(0, 8)}`,
    definitions,
    filterSubject: filter,
    handler: async (message) => {
      seen.push(message.envelope as Recorded);
    },
  });
  return seen;
}

/** Sources slowed down by `delayMs` per batch, so a run can be watched and cancelled mid-way. */
@Injectable()
export class SlowConnectorProvider extends ConnectorProvider {
  static delayMs = 0;

  override source(spec: SourceSpec): SourceConnector {
    const inner = super.source(spec);
    return {
      kind: inner.kind,
      check: () => inner.check(),
      discover: () => inner.discover(),
      read: (options) => ({
        async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
          for await (const batch of inner.read(options)) {
            if (SlowConnectorProvider.delayMs > 0)
              await new Promise((r) => setTimeout(r, SlowConnectorProvider.delayMs));
            yield batch;
          }
        },
      }),
    };
  }
}

export async function pgClient(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A dispatcher on a test mesh, a pg client and a target schema: set up before and torn down after a describe block. */
export interface DispatcherTestBed {
  mesh: TestMesh;
  dispatcher: Awaited<ReturnType<TestMesh['start']>>;
  pg: Client;
  targetSchema: string;
  /** A PostgreSQL target table in the bed's schema. */
  target(name: string, url?: string): TargetSpec;
}

export function useDispatcherTestBed(name: string, module: () => Type): DispatcherTestBed {
  const bed = {
    targetSchema: uniqueName(`${name}_target`),
    target: (table: string, url = bed.mesh.databaseUrl): TargetSpec => ({
      kind: 'postgres',
      connection: { url },
      table: { schema: bed.targetSchema, name: table },
    }),
  } as DispatcherTestBed;
  beforeAll(async () => {
    bed.mesh = await createTestMesh(name);
    bed.dispatcher = await bed.mesh.start('dispatcher', [module()]);
    bed.pg = await pgClient(bed.mesh.databaseUrl);
  });
  afterAll(async () => {
    await bed.pg.query(`DROP SCHEMA IF EXISTS "${bed.targetSchema}" CASCADE`);
    await bed.pg.end();
    await bed.mesh.stop();
  });
  return bed;
}
