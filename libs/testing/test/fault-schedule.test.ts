import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpApiSource, type Row } from '@aoe/connectors';
import {
  applyFault,
  FaultSchedule,
  FaultyHttpApi,
  TcpFaultProxy,
  writeDataset,
  type FaultKind,
  type ScheduledFault,
} from '@aoe/testing';

describe('FaultSchedule: a seeded mix of faults', () => {
  it('replays exactly from its seed, and from its JSON', () => {
    const a = FaultSchedule.generate({ seed: 'bench-1', runs: 200 });
    const b = FaultSchedule.generate({ seed: 'bench-1', runs: 200 });
    const other = FaultSchedule.generate({ seed: 'bench-2', runs: 200 });
    expect(a.entries).toEqual(b.entries);
    expect(a.entries).not.toEqual(other.entries);
    expect(FaultSchedule.fromJSON(JSON.parse(JSON.stringify(a))).entries).toEqual(a.entries);
  });

  it('mixes every kind by default, about half the runs clean, each within its bounds', () => {
    const schedule = FaultSchedule.generate({
      seed: 'mix',
      runs: 200,
      limits: { pages: 4, maxBurst: 2, rows: 50, replicas: 3 },
    });
    const counts = schedule.counts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(200);
    for (const kind of Object.keys(counts) as FaultKind[]) expect(counts[kind]).toBeGreaterThan(0);
    expect(counts.none).toBeGreaterThan(60);
    expect(counts.none).toBeLessThan(140);
    for (const fault of schedule.entries) {
      if ('page' in fault) expect(fault.page).toBeGreaterThanOrEqual(1);
      if ('page' in fault) expect(fault.page).toBeLessThanOrEqual(4);
      if ('times' in fault) expect(fault.times).toBeLessThanOrEqual(2);
      if (fault.kind === 'malformed-rows') for (const r of fault.rows) expect(r.row).toBeLessThanOrEqual(50);
      if (fault.kind === 'replica-kill') expect(fault.replica).toBeLessThan(3);
    }
  });

  it('takes only the kinds given weights', () => {
    const counts = FaultSchedule.generate({ seed: 'w', runs: 50, weights: { none: 1, 'http-storm': 1 } }).counts();
    expect(counts.none + counts['http-storm']).toBe(50);
    expect(counts['tcp-drop']).toBe(0);
    expect(() => FaultSchedule.generate({ seed: 'w', runs: 1, weights: { none: 0 } })).toThrow(/every weight is zero/);
  });
});

describe('applyFault: scheduled faults on real servers and files', () => {
  let api: FaultyHttpApi;
  let proxy: TcpFaultProxy;
  let dir: string;

  beforeAll(async () => {
    api = await FaultyHttpApi.start({ rows: 120, pageSize: 40 });
    proxy = await TcpFaultProxy.start({ upstream: { host: '127.0.0.1', port: Number(new URL(api.url).port) } });
    dir = await mkdtemp(join(tmpdir(), 'aoe-schedule-'));
  });
  afterAll(async () => {
    await proxy.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The API read through the proxy, so HTTP and TCP faults both reach the source. */
  async function read(): Promise<Row[]> {
    const spec = api.sourceSpec({ url: `http://${proxy.address}/records`, timeoutMs: 1000, maxRetries: 8 });
    const source = new HttpApiSource(spec, { retry: { baseDelayMs: 5, maxDelayMs: 20 } });
    const rows: Row[] = [];
    for await (const batch of source.read({ batchSize: 50 })) rows.push(...batch.rows);
    return rows;
  }

  it('runs every API and network fault of a schedule; each run still reads the dataset exactly', async () => {
    const schedule = FaultSchedule.generate({
      seed: 'apply-4',
      runs: 10,
      weights: { 'http-storm': 1, 'http-reset': 1, 'http-slow': 1, 'tcp-latency': 1, 'tcp-stall': 1 },
      limits: { pages: 3, maxBurst: 3, timeoutMs: 1000 },
    });
    const counts = schedule.counts();
    for (const kind of ['http-storm', 'http-reset', 'http-slow', 'tcp-latency', 'tcp-stall'] as const) {
      expect(counts[kind]).toBeGreaterThan(0);
    }
    const served: string[] = [];
    for (const fault of schedule.entries) {
      const before = api.requests.length;
      const stats = proxy.stats();
      const applied = await applyFault(fault, { api, proxy });
      expect(await read()).toEqual(api.records);
      await applied.undo();
      served.push(...api.requests.slice(before).flatMap((r) => (r.fault ? [r.fault] : [])));
      if (fault.kind === 'tcp-latency')
        expect(proxy.stats().faults.delayedChunks).toBeGreaterThan(stats.faults.delayedChunks);
      if (fault.kind === 'tcp-stall') expect(proxy.stats().faults.stalled).toBeGreaterThan(stats.faults.stalled);
    }
    const expected = schedule.entries.flatMap((f: ScheduledFault) =>
      f.kind === 'http-storm'
        ? Array.from({ length: f.times }, () => `status ${f.status}`)
        : f.kind === 'http-reset'
          ? Array.from({ length: f.times }, () => 'reset')
          : f.kind === 'http-slow'
            ? ['slow']
            : [],
    );
    expect(served).toEqual(expected);
  });

  it('a drop fault resets connections until undone', async () => {
    const applied = await applyFault({ kind: 'tcp-drop', afterBytes: 10 }, { proxy });
    await expect(fetch(`http://${proxy.address}/records`)).rejects.toThrow();
    await applied.undo();
    expect((await fetch(`http://${proxy.address}/records`)).status).toBe(200);
  });

  it('data faults rewrite the run file and say what must load', async () => {
    const manifest = await writeDataset(join(dir, 'run.csv'), { rows: 10, seed: 's' });
    const malformed = await applyFault(
      { kind: 'malformed-rows', rows: [{ row: 2, kind: 'extra-field' }] },
      { dataset: { manifest, rows: 10 } },
    );
    expect(malformed.manifest?.quarantined).toEqual([
      { line: 3, position: 'run.csv:3', kind: 'extra-field', stage: 'source' },
    ]);
    expect(malformed.manifest?.loaded[0].row.id).toBe('11');
    const changed = await applyFault(
      { kind: 'schema-change', change: { kind: 'add', column: { name: 'extra_1', type: 'string' } } },
      { dataset: { manifest: malformed.manifest!, rows: 10 } },
    );
    expect(changed.manifest?.columns.map((c) => c.name)).toContain('extra_1');
  });

  it('names the missing target instead of doing nothing', async () => {
    await expect(applyFault({ kind: 'replica-kill', replica: 0 }, {})).rejects.toThrow(/needs replicas/);
    await expect(applyFault({ kind: 'tcp-stall', forMs: 10 }, { api })).rejects.toThrow(/needs proxy/);
  });
});
