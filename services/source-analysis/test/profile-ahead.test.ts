import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Messages, SourceSpec, type SourceProfiled } from '@aoe/contracts';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { SourceAnalysisModule, SourceProfiler } from '../src';
import { withTempDir } from './fixtures/data';

const csv = (rows: number): string =>
  ['id,name', ...Array.from({ length: rows }, (_, i) => `${i + 1},name ${i + 1}`)].join('\n') + '\n';

/** The spec as it comes back from the store: the same values, keys in another order. */
const reordered = (spec: SourceSpec): SourceSpec =>
  JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(spec).reverse()))) as SourceSpec;

describe('SourceProfiler: profiles made ahead', () => {
  it('hands the profile made ahead to the next request for the same spec, once, under its source id', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'orders.csv');
      await writeFile(path, csv(40));
      const spec = SourceSpec.parse({ kind: 'file', path });
      const profiler = new SourceProfiler();
      await profiler.profileAhead(spec);
      // The file changes after the profile ahead was made: the first request still gets that profile.
      await writeFile(path, csv(70));
      const first = await profiler.profile({ sourceId: 'orders', spec: reordered(spec) });
      expect(first.profile).toMatchObject({ sourceId: 'orders', rowCountEstimate: 40 });
      // Taken once: the next request samples the file as it is now.
      const second = await profiler.profile({ sourceId: 'orders', spec });
      expect(second.profile).toMatchObject({ sourceId: 'orders', rowCountEstimate: 70 });
    });
  });

  it('samples afresh for another spec, for a request with its own limits, and once the profile is a minute old', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'orders.csv');
      await writeFile(path, csv(40));
      const spec = SourceSpec.parse({ kind: 'file', path });
      let now = Date.parse('2026-11-26T10:00:00Z');
      const profiler = new SourceProfiler({ now: () => new Date(now) });

      await profiler.profileAhead(spec);
      await writeFile(path, csv(50));
      const other = SourceSpec.parse({ kind: 'file', path, format: 'csv' });
      expect((await profiler.profile({ sourceId: 'o', spec: other })).profile.rowCountEstimate).toBe(50);
      const bounded = await profiler.profile({ sourceId: 'o', spec, limits: { maxRows: 10 } });
      expect(bounded.profile.sampleSize).toBe(10);

      await writeFile(path, csv(60));
      now += 61_000;
      expect((await profiler.profile({ sourceId: 'o', spec })).profile.rowCountEstimate).toBe(60);
    });
  });

  it('drops a profile ahead that failed: the request samples afresh and fails or succeeds on its own', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'late.csv');
      const spec = SourceSpec.parse({ kind: 'file', path });
      const profiler = new SourceProfiler();
      await profiler.profileAhead(spec); // the file is not there yet: resolves all the same
      await writeFile(path, csv(5));
      const { profile } = await profiler.profile({ sourceId: 'late', spec });
      expect(profile).toMatchObject({ sourceId: 'late', rowCountEstimate: 5 });
    });
  });
});

describe('SourceAnalysisModule.withProfiler', () => {
  let mesh: TestMesh;
  let service: Awaited<ReturnType<TestMesh['start']>>;
  const profiler = new SourceProfiler();
  const profiled: SourceProfiled[] = [];

  beforeAll(async () => {
    mesh = await createTestMesh('sa_ahead');
    service = await mesh.start('source-analysis', [SourceAnalysisModule.withProfiler(profiler)]);
    await service.platform.bus.subscribe({
      service: 'profiled-probe',
      definitions: [Messages.SourceProfiled],
      handler: async (m) => {
        profiled.push(m.payload);
      },
    });
  });
  afterAll(async () => {
    await mesh.stop();
  });

  it('analyses with the given profiler: the source (its spec stored and read back) takes the profile made ahead', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'orders.csv');
      await writeFile(path, csv(40));
      const spec = SourceSpec.parse({ kind: 'file', path });
      await profiler.profileAhead(spec);
      await writeFile(path, csv(70));
      const source = await service.platform.store.sources.create({ spec });
      await service.platform.bus.publish(
        Messages.AnalyzeSource,
        { sourceId: source.id, spec: source.spec },
        { correlationId: 'corr-ahead' },
      );
      const event = await eventually(() => profiled.find((p) => p.sourceId === source.id));
      expect(event.profile).toMatchObject({ sourceId: source.id, rowCountEstimate: 40 });
    });
  });
});

async function eventually<T>(find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('SourceProfiled did not arrive');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
