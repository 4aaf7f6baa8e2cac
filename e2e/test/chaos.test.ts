import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { Namespace } from '@aoe/messaging';
import { uniqueName } from '@aoe/testing';
import { PrivateNats } from './chaos-nats';
import {
  createPipelines,
  requestRuns,
  runStatuses,
  tableDigest,
  waitRunsEnded,
  writeWorkloadFiles,
  type WorkloadPipeline,
} from './chaos-workload';
import { eventually, gatewayClient, MeshHarness, type MeshProcessView } from './mesh-harness';

/*
 * The chaos test on the multi-process mesh (`aoe mesh up`, every
 * service twice, each replica its own Node process): 50 pipelines loading
 * CSV files into PostgreSQL at once; while their runs are in flight one
 * replica of every service is killed with SIGKILL, then the mesh's NATS is
 * restarted. Every run must succeed with exactly its rows, and no message
 * may be lost or dead-lettered (except one invalid message sent on purpose).
 *
 * The mesh has its own nats-server (port, store directory) so restarting it
 * leaves the machine's shared NATS alone; the workspace must be built
 * (services/<name>/dist/src/main.js).
 */
const PIPELINES = Number(process.env.AOE_CHAOS_PIPELINES ?? 50);
const ROWS = Number(process.env.AOE_CHAOS_ROWS ?? 3_000);
/** How NATS is stopped before it is started again: SIGTERM (a restart, the default) or SIGKILL (a crash). */
const NATS_STOP = process.env.AOE_CHAOS_NATS_SIGNAL === 'SIGKILL' ? 'SIGKILL' : 'SIGTERM';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

function log(message: string): void {
  process.stderr.write(`[chaos] ${message}\n`);
}

describe('chaos: 50 pipelines on a two-replica mesh, one replica of each service killed, NATS restarted', () => {
  let nats: PrivateNats;
  let mesh: MeshHarness;
  let processes: MeshProcessView[];
  let dir: string;
  const targetSchema = uniqueName('chaos_target');
  const started = performance.now();

  beforeAll(async () => {
    nats = await PrivateNats.start();
    // 14 processes share one server (max_connections 100 here) with the loads' own sessions.
    mesh = await MeshHarness.create('chaos', {
      NATS_URL: nats.url,
      AOE_SCHEDULER_INTERVAL_MS: '0',
      AOE_STORE_POOL_SIZE: '4',
      // The test asks about all 50 runs four times a second; the default 50 requests/s per key would refuse most.
      AOE_RATE_LIMIT_RPS: '2000',
      AOE_RATE_LIMIT_BURST: '2000',
    });
    dir = await mkdtemp(join(tmpdir(), 'aoe-chaos-data-'));
    processes = await mesh.up('--replicas', '2', '--base-port', '20400', '--grpc-base-port', '20500');
    log(`mesh up: ${processes.length} processes in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }, 300_000);

  afterAll(async () => {
    await mesh?.destroy();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
    const client = new Client({ connectionString: mesh.env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${targetSchema}" CASCADE`);
    await client.end();
    log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }, 120_000);

  it('every run succeeds with exact rows; nothing lost, nothing loaded twice, no unexpected dead letter', async () => {
    // The mesh's home (and its logs) goes with afterAll: a failure shows each process's last lines first.
    await withLogTailsOnFailure(processes, async () => {
      const ns = new Namespace(mesh.env.AOE_BUS_NAMESPACE);
      const services = [...new Set(processes.map((p) => p.service))].sort();
      expect(processes).toHaveLength(services.length * 2);
      const gateway = gatewayClient(
        processes.find((p) => p.service === 'gateway' && p.replica === 1)!.url,
        await mesh.writeKey(),
      );

      const files = await writeWorkloadFiles(dir, PIPELINES, ROWS);
      const pipelines = await createPipelines(gateway, files, {
        databaseUrl: mesh.env.DATABASE_URL!,
        schema: targetSchema,
      });
      log(`${pipelines.length} pipelines planned at ${((performance.now() - started) / 1000).toFixed(0)} s`);

      const runIds = await requestRuns(gateway, pipelines);
      const store = await mesh.openStore();
      try {
        // Mid-way: some runs have ended, some are executing, the rest wait.
        const progress = async () => {
          const statuses = [...(await runStatuses(gateway, runIds)).values()];
          return {
            running: statuses.filter((s) => s === 'running').length,
            ended: statuses.filter((s) => TERMINAL.includes(s)).length,
          };
        };
        // Killed while the doomed dispatcher holds a run: that run must then resume on the other replica.
        const doomedDispatcher = processes.find((p) => p.service === 'dispatcher' && p.replica === 0)!;
        const atKill = await eventually(
          async () => {
            const now = await progress();
            const ready = now.running > 0 && now.ended >= PIPELINES / 10;
            return ready && (await runsHeldBy(doomedDispatcher)) > 0 ? now : undefined;
          },
          'runs to be under way, one of them on dispatcher replica 0',
          300_000,
        );
        for (const victim of processes.filter((p) => p.replica === 0)) process.kill(victim.pid, 'SIGKILL');
        log(`killed replica 0 of ${services.join(', ')} with ${atKill.running} runs running, ${atKill.ended} ended`);
        expect(atKill.ended).toBeLessThan(PIPELINES);

        // The survivors carry on; then the bus itself goes away and comes back while runs are still in flight.
        const atRestart = await eventually(
          async () => {
            const now = await progress();
            return now.ended > atKill.ended || now.ended === PIPELINES ? now : undefined;
          },
          'a run to end on the surviving replicas',
          300_000,
        );
        await nats.restart(NATS_STOP);
        log(`NATS restarted (${NATS_STOP}) with ${atRestart.running} runs running, ${atRestart.ended} ended`);

        // A message no contract accepts: the one dead letter this test expects.
        await nats.withClient((nc) =>
          jetstream(nc).publish(ns.subject('aoe.cmd.run.requested'), new TextEncoder().encode('{"not":"an envelope"}')),
        );

        log('the invalid message is published; waiting for every run to end');
        const statuses = await waitRunsEnded(gateway, runIds, 900_000);
        log(`all runs ended at ${((performance.now() - started) / 1000).toFixed(0)} s`);
        expect([...statuses.values()].filter((s) => s !== 'succeeded')).toEqual([]);

        await expectExactTargets(pipelines, runIds);

        // Every run request produced exactly one run, and the runs the killed dispatcher held were resumed.
        for (const [i, p] of pipelines.entries()) {
          const runs = (await store.runs.list({ pipelineId: p.pipelineId })).items;
          expect(runs.map((r) => r.id)).toEqual([runIds[i]]);
        }
        const attempts = await Promise.all(
          runIds.map(async (id) => Math.max(...(await store.taskRuns.listByRun(id)).items.map((t) => t.attempt))),
        );
        log(`runs resumed after the kill or the restart: ${attempts.filter((a) => a > 1).length}`);
        expect(attempts.filter((a) => a > 1).length).toBeGreaterThan(0);

        // Every run event reached the monitor: each run's statistics are recorded as succeeded.
        await eventually(
          async () => {
            const stats = await Promise.all(runIds.map((id) => store.runStats.get(id)));
            const missing = runIds.flatMap((id, i) =>
              stats[i]?.status === 'succeeded' ? [] : [`${id}=${stats[i]?.status ?? 'none'}`],
            );
            if (missing.length === 0) return true;
            // Named in the timeout's message: which runs the monitor lacks, and what it holds for them.
            throw new Error(`${missing.length} runs not recorded as succeeded: ${missing.join(', ')}`);
          },
          'the monitor to record every run',
          120_000,
        );
      } finally {
        await store.close();
      }

      // No message left behind on any consumer, and only the injected dead letter.
      await expectConsumersDrained(nats, ns);
      const letters = await eventually(async () => {
        const page = (await gateway.get('/v1/dead-letters')) as { items: Array<{ deadLetter: { kind: string } }> };
        return page.items.length > 0 ? page.items : undefined;
      }, 'the injected dead letter to be recorded');
      expect(letters.map((l) => l.deadLetter.kind)).toEqual(['invalid-message']);
      const dlq = await nats.withClient(async (nc) => (await jetstreamManager(nc)).streams.info(ns.stream('AOE_DLQ')));
      expect(dlq.state.messages).toBe(1);
      log(`test body done at ${((performance.now() - started) / 1000).toFixed(0)} s`);
    });
  }, 1_500_000);

  async function expectExactTargets(pipelines: readonly WorkloadPipeline[], runIds: readonly string[]): Promise<void> {
    const wrong: string[] = [];
    for (const p of pipelines) {
      const digest = await tableDigest(mesh.env.DATABASE_URL!, targetSchema, p.table);
      if (digest.rows !== p.rows || digest.md5 !== p.md5)
        wrong.push(`${p.table}: ${digest.rows} rows, md5 ${digest.md5}`);
    }
    expect(wrong).toEqual([]);
    // The load ledger: one committed load per run, none twice.
    const client = new Client({ connectionString: mesh.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ run_id: string; loads: number; rows: string }>(
        `SELECT run_id, count(*)::int AS loads, sum(rows)::text AS rows FROM "${targetSchema}"._aoe_loads GROUP BY run_id`,
      );
      expect(rows.map((r) => r.run_id).sort()).toEqual([...runIds].sort());
      expect(rows.filter((r) => r.loads !== 1 || Number(r.rows) !== ROWS)).toEqual([]);
    } finally {
      await client.end();
    }
  }
});

/** Every durable consumer of the mesh's streams has delivered, and had acknowledged, every message. */
function expectConsumersDrained(nats: PrivateNats, ns: Namespace): Promise<void> {
  return nats.withClient(async (nc) => {
    const jsm = await jetstreamManager(nc);
    const busy = await eventually(
      async () => {
        const left: string[] = [];
        for (const stream of ['AOE_CMD', 'AOE_EVT', 'AOE_DLQ'] as const) {
          for await (const c of jsm.consumers.list(ns.stream(stream))) {
            if (c.num_pending > 0 || c.num_ack_pending > 0) {
              left.push(`${c.name}: ${c.num_pending} pending, ${c.num_ack_pending} unacknowledged`);
            }
          }
        }
        return left.length === 0 ? left : undefined;
      },
      'every consumer to be drained',
      120_000,
    );
    expect(busy).toEqual([]);
  });
}

/** Runs `fn`; if it throws, prints the last lines of every process's log to stderr, then rethrows. */
async function withLogTailsOnFailure(processes: readonly MeshProcessView[], fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    for (const p of processes) {
      const text = await readFile(p.log, 'utf8').catch(() => '(no log)');
      const tail = text.trimEnd().split('\n').slice(-40).join('\n');
      process.stderr.write(
        `[chaos] --- ${p.service} replica ${p.replica} (pid ${p.pid}), last lines of ${p.log}\n${tail}\n`,
      );
    }
    throw error;
  }
}

/** Run requests a dispatcher replica is handling now (its aoe_bus_handlers_in_flight). */
async function runsHeldBy(dispatcher: MeshProcessView): Promise<number> {
  const exposition = await (await fetch(`${dispatcher.url}/metrics`)).text();
  const line = exposition
    .split('\n')
    .find((l) => l.startsWith('aoe_bus_handlers_in_flight{') && l.includes('subject="aoe.cmd.run.requested"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
