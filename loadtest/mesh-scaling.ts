/**
 * Mesh scaling: pipelines per minute and bus messages per second with one and
 * with two replicas of every service (`aoe mesh up --replicas N`, each replica
 * its own Node process), the same workload in one invocation, and where the
 * time goes: CPU per service and of nats-server (from /proc/<pid>/stat), the
 * machine's busy share, and the largest consumer lag each service's
 * `aoe_bus_consumer_pending_messages` showed.
 *
 * The workload is the chaos test's (e2e/test/chaos-workload.ts): N CSV files →
 * N PostgreSQL tables, each a source and a pipeline created through the
 * gateway (analysis, planning, optimization by the agents), then one run of
 * every pipeline requested at once. It runs against a private nats-server
 * (free port, temporary store) and a fresh store schema per mesh; build first
 * (`npm run build`).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/mesh-scaling.ts [pipelines=50] [rows=3000]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { Namespace } from '@aoe/messaging';
import { uniqueName } from '@aoe/testing';
import { PrivateNats } from '../e2e/test/chaos-nats';
import {
  createPipelines,
  requestRuns,
  waitRunsEnded,
  writeWorkloadFiles,
  type WorkloadFile,
} from '../e2e/test/chaos-workload';
import { gatewayClient, MeshHarness, type MeshProcessView } from '../e2e/test/mesh-harness';

const PIPELINES = Number(process.argv[2] ?? 50);
const ROWS = Number(process.argv[3] ?? 3_000);
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const CLOCK_TICKS = 100;

interface Figures {
  replicas: number;
  processes: number;
  seconds: number;
  planSeconds: number;
  runSeconds: number;
  pipelinesPerMinute: number;
  published: number;
  handled: number;
  /** Cores used per service (all its replicas), and by nats-server. */
  cpu: Map<string, number>;
  machineBusy: number;
  maxLag: Map<string, number>;
  failedRuns: number;
}

/** utime + stime of a process, in seconds (0 once it is gone). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The machine's busy and total jiffies, from the first line of /proc/stat. */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const [, ...values] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
  const n = values.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - n[3] - (n[4] ?? 0), total };
}

/** Samples each process's /metrics once a second; keeps the largest consumer lag seen per service/consumer. */
function lagSampler(processes: readonly MeshProcessView[]): { stop(): Promise<Map<string, number>> } {
  const maxLag = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        processes.map(async (p) => {
          const text = await fetch(`${p.url}/metrics`).then(
            (r) => r.text(),
            () => '',
          );
          for (const m of text.matchAll(/^aoe_bus_consumer_pending_messages\{([^}]*)\} (\S+)$/gm)) {
            const consumer = /consumer="([^"]*)"/.exec(m[1])?.[1] ?? '?';
            const key = `${p.service}/${consumer}`;
            maxLag.set(key, Math.max(maxLag.get(key) ?? 0, Number(m[2])));
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return maxLag;
    },
  };
}

/** Deliveries handled and acked, summed over every process's `aoe_bus_handled_total`. */
async function handledTotal(processes: readonly MeshProcessView[]): Promise<number> {
  let sum = 0;
  for (const p of processes) {
    const text = await fetch(`${p.url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    for (const m of text.matchAll(/^aoe_bus_handled_total\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  }
  return sum;
}

/** Messages stored on the mesh's command and event streams (every publish, once). */
function publishedTotal(nats: PrivateNats, namespace: string): Promise<number> {
  return nats.withClient(async (nc) => {
    const jsm = await jetstreamManager(nc);
    const ns = new Namespace(namespace);
    let sum = 0;
    for (const stream of ['AOE_CMD', 'AOE_EVT'] as const)
      sum += (await jsm.streams.info(ns.stream(stream))).state.messages;
    return sum;
  });
}

async function measure(nats: PrivateNats, replicas: number, files: readonly WorkloadFile[]): Promise<Figures> {
  const mesh = await MeshHarness.create(`scale${replicas}`, { NATS_URL: nats.url, AOE_SCHEDULER_INTERVAL_MS: '0' });
  const targetSchema = uniqueName(`scale${replicas}_target`);
  try {
    const processes = await mesh.up(
      '--replicas',
      String(replicas),
      '--base-port',
      '20600',
      '--grpc-base-port',
      '20700',
    );
    const gateway = gatewayClient(processes.find((p) => p.service === 'gateway')!.url, await mesh.writeKey());
    const pids = [...processes.map((p) => ({ name: p.service, pid: p.pid })), { name: 'nats-server', pid: nats.pid! }];
    const cpuBefore = await Promise.all(pids.map((p) => cpuSeconds(p.pid)));
    const [machineBefore, handledBefore] = [await machineTicks(), await handledTotal(processes)];
    const lag = lagSampler(processes);

    const t0 = performance.now();
    const pipelines = await createPipelines(gateway, files, {
      databaseUrl: mesh.env.DATABASE_URL!,
      schema: targetSchema,
    });
    const t1 = performance.now();
    const statuses = await waitRunsEnded(gateway, await requestRuns(gateway, pipelines), 900_000);
    const t2 = performance.now();

    const maxLag = await lag.stop();
    const seconds = (t2 - t0) / 1000;
    const cpuAfter = await Promise.all(pids.map((p) => cpuSeconds(p.pid)));
    const cpu = new Map<string, number>();
    pids.forEach((p, i) => cpu.set(p.name, (cpu.get(p.name) ?? 0) + (cpuAfter[i] - cpuBefore[i]) / seconds));
    const machineAfter = await machineTicks();
    return {
      replicas,
      processes: processes.length,
      seconds,
      planSeconds: (t1 - t0) / 1000,
      runSeconds: (t2 - t1) / 1000,
      pipelinesPerMinute: (files.length / seconds) * 60,
      published: await publishedTotal(nats, mesh.env.AOE_BUS_NAMESPACE!),
      handled: (await handledTotal(processes)) - handledBefore,
      cpu,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
      maxLag,
      failedRuns: [...statuses.values()].filter((s) => s !== 'succeeded').length,
    };
  } finally {
    await mesh.destroy();
    const client = new Client({ connectionString: mesh.env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${targetSchema}" CASCADE`);
    await client.end();
  }
}

function report(f: Figures): void {
  const rate = (n: number) => (n / f.seconds).toFixed(1);
  console.log(
    `replicas ${f.replicas} (${f.processes} processes): ${f.seconds.toFixed(1)} s ` +
      `(plan ${f.planSeconds.toFixed(1)} s, runs ${f.runSeconds.toFixed(1)} s), ` +
      `${f.pipelinesPerMinute.toFixed(1)} pipelines/min, bus ${rate(f.published)} msg/s published, ` +
      `${rate(f.handled)} deliveries/s handled${f.failedRuns ? `, ${f.failedRuns} runs NOT succeeded` : ''}`,
  );
  const cpu = [...f.cpu.entries()].sort((a, b) => b[1] - a[1]);
  console.log(
    `  cpu (cores): ${cpu.map(([s, c]) => `${s} ${c.toFixed(2)}`).join(', ')}; machine busy ${(f.machineBusy * 100).toFixed(0)}% of ${cpus().length} cores`,
  );
  const lag = [...f.maxLag.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  console.log(
    `  max consumer lag: ${
      lag.length
        ? lag
            .slice(0, 6)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')
        : 'none seen'
    }`,
  );
  const saturated = f.machineBusy > 0.9 ? 'the machine CPU is saturated; ' : '';
  console.log(`  bottleneck: ${saturated}busiest ${cpu[0][0]} at ${cpu[0][1].toFixed(2)} cores`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'aoe-mesh-scaling-'));
  const nats = await PrivateNats.start();
  // The harness reads these (and would start containers without them); the mesh uses the private NATS.
  process.env.NATS_URL = nats.url;
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  try {
    const files = await writeWorkloadFiles(dir, PIPELINES, ROWS);
    console.log(
      `mesh-scaling: ${PIPELINES} pipelines x ${ROWS} rows (CSV → PostgreSQL), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const one = await measure(nats, 1, files);
    report(one);
    const two = await measure(nats, 2, files);
    report(two);
    console.log(
      `ratio two/one replicas: pipelines/min x${(two.pipelinesPerMinute / one.pipelinesPerMinute).toFixed(2)}, ` +
        `bus msg/s x${(two.published / two.seconds / (one.published / one.seconds)).toFixed(2)}; ` +
        `load average now ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
  } finally {
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
