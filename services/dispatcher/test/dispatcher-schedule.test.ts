import { Messages, type TargetSpec } from '@aoe/contracts';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { uniqueName } from '@aoe/testing';
import { DispatcherModule, scheduledRunId } from '../src';
import { eventually, pgClient, plan, record, setUpPipeline, writeEventsCsv } from './helpers';

process.env.AOE_SCHEDULER_INTERVAL_MS = '200';
process.env.AOE_CANCEL_POLL_MS = '100';

describe('dispatcher: cron schedules across replicas', () => {
  let mesh: TestMesh;
  let replicas: Array<Awaited<ReturnType<TestMesh['start']>>>;
  const targetSchema = uniqueName('disp_cron');

  beforeAll(async () => {
    mesh = await createTestMesh('cron');
    replicas = [await mesh.start('dispatcher', [DispatcherModule]), await mesh.start('dispatcher', [DispatcherModule])];
  });
  afterAll(async () => {
    await mesh.stop();
    const pg = await pgClient(mesh.databaseUrl);
    await pg.query(`DROP SCHEMA IF EXISTS "${targetSchema}" CASCADE`);
    await pg.end();
  });

  it('triggers each tick once, though both replicas schedule it', async () => {
    const { store, bus } = replicas[0].platform;
    const requests = await record(bus, 'aoe.cmd.run.requested', [Messages.RunRequested]);
    const csv = await writeEventsCsv(20);
    const target: TargetSpec = {
      kind: 'postgres',
      connection: { url: mesh.databaseUrl },
      table: { schema: targetSchema, name: 'ticks' },
    };
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target,
      planFor: (ids) => plan({ ...ids, target, schedule: '*/2 * * * * *' }),
    });
    expect((await store.pipelines.get(pipelineId))!.schedule).toBe('*/2 * * * * *');

    const runs = await eventually(
      async () => {
        const page = await store.runs.list({ pipelineId, status: 'succeeded' });
        return page.items.length >= 3 ? page.items : undefined;
      },
      'three scheduled runs',
      20_000,
    );
    // Stop scheduling before counting.
    await store.pipelines.updateStatus(pipelineId, 'paused');
    await new Promise((r) => setTimeout(r, 500));

    const all = (await store.runs.list({ pipelineId })).items;
    expect(all.every((r) => r.trigger === 'schedule')).toBe(true);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // Each run is a distinct tick, and each tick was requested exactly once on the bus.
    const mine = requests.filter((e) => e.payload.pipelineId === pipelineId);
    const perRun = new Map<string, number>();
    for (const e of mine) perRun.set(e.payload.runId, (perRun.get(e.payload.runId) ?? 0) + 1);
    expect([...perRun.values()].every((n) => n === 1)).toBe(true);
    expect([...perRun.keys()].sort()).toEqual(all.map((r) => r.id).sort());
    // The run ids are the ones derived from (pipeline, tick): on even seconds.
    const ticks = all.map((r) => {
      const created = new Date(r.createdAt);
      const candidates = [0, 1, 2, 3].map(
        (back) => new Date(Math.floor(created.getTime() / 1000) * 1000 - back * 1000),
      );
      return candidates.find((t) => scheduledRunId(pipelineId, t) === r.id);
    });
    expect(ticks.every((t) => t !== undefined && t.getUTCSeconds() % 2 === 0)).toBe(true);
  });
});
