import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Messages } from '@aoe/contracts';
import { DEFAULT_ACK_WAIT_MS, JetStreamBus } from '@aoe/messaging';
import {
  deleteTestStreams,
  dropTestSchema,
  ReplicaKiller,
  seededRandom,
  ServiceProcess,
  testDatabaseUrl,
  testNatsUrl,
  uniqueName,
  waitUntil,
} from '@aoe/testing';
import { Client } from 'pg';

/**
 * The monitor as real child processes (`node services/monitor/dist/src/main.js`):
 * `npm test` builds first (pretest); alone, run `npx tsc -b services/monitor`.
 */
/** Each test starts Node processes that migrate a store: generous on a loaded machine, never asserted. */
const SLOW = 180_000;
/**
 * After a SIGKILL the server learns of the closed connection on its own time; a
 * message published meanwhile can be handed to the dead replica's pull request and
 * comes back only when its ack wait runs out. "Loses no message" means: by then.
 */
const AFTER_A_KILL_MS = DEFAULT_ACK_WAIT_MS + 30_000;

describe('ServiceProcess and ReplicaKiller: the monitor as child processes', () => {
  const namespace = uniqueName('faults_proc');
  const schema = uniqueName('faults_proc');
  let natsUrl: string;
  let databaseUrl: string;
  let dir: string;
  let bus: JetStreamBus;
  let pg: Client;
  const replicas: ServiceProcess[] = [];

  const replica = async (i: number) => {
    const started = await ServiceProcess.start({
      service: 'monitor',
      env: {
        NATS_URL: natsUrl,
        DATABASE_URL: databaseUrl,
        AOE_BUS_NAMESPACE: namespace,
        AOE_STORE_SCHEMA: schema,
        AOE_MONITOR_FRESHNESS_CHECK_MS: '0',
      },
      logFile: join(dir, `monitor-${i}.log`),
    });
    replicas.push(started);
    return started;
  };

  const publishRun = (runId: string) =>
    bus.publish(
      Messages.RunSucceeded,
      {
        runId,
        pipelineId: 'p',
        status: 'succeeded',
        at: new Date().toISOString(),
        stats: { rowsRead: 10, rowsLoaded: 10, rowsQuarantined: 0, bytes: 100, durationMs: 1000 },
      },
      { correlationId: runId },
    );
  const recorded = async (runId: string) =>
    (await pg.query(`SELECT 1 FROM "${schema}".run_stats WHERE run_id = $1`, [runId])).rowCount === 1 || undefined;
  /** Waits for a run published after a kill; a timeout names what the replicas logged. */
  const recordedAfterKill = async (runId: string, what: string) => {
    try {
      await waitUntil(() => recorded(runId), what, { timeoutMs: AFTER_A_KILL_MS });
    } catch (error) {
      const logs = replicas.map((r) => `--- ${r.logFile}\n${r.logTail()}`).join('\n');
      throw new Error(`${(error as Error).message}\n${logs}`);
    }
  };

  jest.setTimeout(SLOW);
  beforeAll(async () => {
    [natsUrl, databaseUrl] = await Promise.all([testNatsUrl(), testDatabaseUrl()]);
    dir = await mkdtemp(join(tmpdir(), 'aoe-proc-'));
    bus = await JetStreamBus.connect({ servers: natsUrl, namespace });
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await bus.close();
    await pg.end();
    await deleteTestStreams(natsUrl, namespace);
    await dropTestSchema(databaseUrl, schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a replica that answers /readyz, kills it with SIGKILL, restarts it, and loses no message meanwhile', async () => {
    const monitor = await replica(0);
    expect((await fetch(`${monitor.url}/healthz`)).status).toBe(200);
    await publishRun('before-kill');
    await waitUntil(() => recorded('before-kill'), 'the first run to be recorded');

    const pid = monitor.pid as number;
    expect(await monitor.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(monitor.isRunning()).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await expect(fetch(`${monitor.url}/readyz`)).rejects.toThrow();

    await publishRun('while-dead');
    await monitor.restart();
    expect(monitor.pid).not.toBe(pid);
    expect(monitor.starts).toBe(2);
    expect((await fetch(`${monitor.url}/readyz`)).status).toBe(200);
    await recordedAfterKill('while-dead', 'the run published while the replica was dead');
    expect(monitor.logTail()).toMatch(/monitor ready/);
  });

  it('kills a seeded choice of replica: the other keeps serving, and restartKilled brings it back ready', async () => {
    await replica(1);
    const killer = new ReplicaKiller(replicas, seededRandom('kill'));
    const victim = await killer.killOne();
    const survivor = replicas.find((r) => r !== victim) as ServiceProcess;
    expect(victim.isRunning()).toBe(false);
    expect((await fetch(`${survivor.url}/readyz`)).status).toBe(200);

    await publishRun('one-replica-left');
    await recordedAfterKill('one-replica-left', 'the survivor to record the run');

    expect(await killer.restartKilled()).toBe(1);
    expect(replicas.every((r) => r.isRunning())).toBe(true);
    expect((await fetch(`${victim.url}/readyz`)).status).toBe(200);
  });

  it('fails with the log tail when the service cannot start', async () => {
    await expect(
      ServiceProcess.start({ service: 'monitor', env: { NATS_URL: '' }, logFile: join(dir, 'broken.log') }),
    ).rejects.toThrow(/exited before it was ready:[\s\S]*NATS_URL/);
    await expect(ServiceProcess.start({ service: 'nope', env: {}, logFile: join(dir, 'nope.log') })).rejects.toThrow(
      /does not exist: build first/,
    );
  });
});
