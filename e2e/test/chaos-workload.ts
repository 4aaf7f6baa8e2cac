import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually, gatewayClient } from './mesh-harness';

/*
 * The chaos test's workload, shared with loadtest/mesh-scaling.ts: N CSV files
 * → N PostgreSQL tables, each a pipeline created, planned and run through the
 * gateway's REST API, and the exact rows each table must end up with.
 */

export type Gateway = ReturnType<typeof gatewayClient>;

/**
 * Once more when the gateway closed an idle keep-alive connection just as the
 * request went out on it (undici: "other side closed"): the server never read
 * that request, so sending it again cannot do anything twice. Seen on a
 * saturated machine, where the client's own idle timer fires late.
 */
async function againIfClosedIdle<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code !== 'UND_ERR_SOCKET') throw error;
    return send();
  }
}

/** One CSV file of the workload and what its table must hold once loaded. */
export interface WorkloadFile {
  table: string;
  path: string;
  rows: number;
  /** md5 of the rows as `id,name,qty` lines in id order (what `tableDigest` computes in SQL). */
  md5: string;
}

export interface WorkloadPipeline extends WorkloadFile {
  sourceId: string;
  pipelineId: string;
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** Writes `count` CSV files of `rows` rows each (`id,name,qty`), deterministic per table. */
export async function writeWorkloadFiles(dir: string, count: number, rows: number): Promise<WorkloadFile[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, n) => {
      const table = `t${String(n).padStart(3, '0')}`;
      const lines = Array.from({ length: rows }, (_, i) => `${i + 1},${table} item ${i + 1},${(i * 7 + n) % 1000}`);
      const path = join(dir, `${table}.csv`);
      await writeFile(path, `id,name,qty\n${lines.join('\n')}\n`);
      return { table, path, rows, md5: createHash('md5').update(lines.join('\n')).digest('hex') };
    }),
  );
}

/** Registers each file as a source and a pipeline into `schema`, all at once; resolves when every plan is active. */
export async function createPipelines(
  gateway: Gateway,
  files: readonly WorkloadFile[],
  target: { databaseUrl: string; schema: string },
  timeoutMs = 300_000,
): Promise<WorkloadPipeline[]> {
  return Promise.all(
    files.map(async (file) => {
      const source = (await againIfClosedIdle(() =>
        gateway.post('/v1/sources', { name: file.table, spec: { kind: 'file', path: file.path } }),
      )) as { id: string };
      const pipeline = (await againIfClosedIdle(() =>
        gateway.post('/v1/pipelines', {
          sourceId: source.id,
          target: {
            kind: 'postgres',
            connection: { url: target.databaseUrl },
            table: { schema: target.schema, name: file.table },
          },
        }),
      )) as { id: string };
      await eventually(
        async () => ((await gateway.get(`/v1/pipelines/${pipeline.id}`)) as { plan?: unknown }).plan ?? undefined,
        `a plan for ${file.table}`,
        timeoutMs,
      );
      return { ...file, sourceId: source.id, pipelineId: pipeline.id };
    }),
  );
}

/** Requests one run of every pipeline at once; the run ids, in pipeline order. */
export async function requestRuns(gateway: Gateway, pipelines: readonly WorkloadPipeline[]): Promise<string[]> {
  return Promise.all(
    pipelines.map(
      async (p) =>
        ((await againIfClosedIdle(() => gateway.post('/v1/runs', { pipelineId: p.pipelineId }))) as { runId: string })
          .runId,
    ),
  );
}

/** The status of each run, read through the gateway (a read that fails counts as not known yet). */
export async function runStatuses(gateway: Gateway, runIds: readonly string[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (const runId of runIds) {
    const run = (await gateway.get(`/v1/runs/${runId}`).catch(() => undefined)) as { status: string } | undefined;
    statuses.set(runId, run?.status ?? 'unknown');
  }
  return statuses;
}

/** Waits until every run has ended (any terminal status); the final statuses. */
export async function waitRunsEnded(
  gateway: Gateway,
  runIds: readonly string[],
  timeoutMs: number,
): Promise<Map<string, string>> {
  return eventually(
    async () => {
      const statuses = await runStatuses(gateway, runIds);
      return [...statuses.values()].every((s) => TERMINAL.includes(s)) ? statuses : undefined;
    },
    `${runIds.length} runs to end`,
    timeoutMs,
  );
}

/** Row count and md5 of a loaded table, computed the way `WorkloadFile.md5` is. */
export async function tableDigest(
  databaseUrl: string,
  schema: string,
  table: string,
): Promise<{ rows: number; md5: string | null }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: number; md5: string | null }>(
      `SELECT count(*)::int AS rows,
              md5(string_agg(id::text || ',' || name || ',' || qty::text, E'\\n' ORDER BY id)) AS md5
         FROM "${schema}"."${table}"`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}
