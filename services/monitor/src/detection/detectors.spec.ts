import type { RunStatsRecord } from '@aoe/store';
import { after, BASE_COLUMNS, normalRuns, run } from '../../test/fixtures/runs';
import { schemaFingerprint } from '../history/schema-fingerprint';
import { detectRunAnomalies } from './detect-run-anomalies';
import { detectDuration } from './duration.detector';
import { detectFailureTrend, taskFailures } from './failure-trend.detector';
import { DEFAULT_DETECTION, threshold, type Finding } from './finding';
import { detectFreshness } from './freshness.detector';
import { expectedInterval, scheduleInterval } from './interval';
import { detectNullRate } from './null-rate.detector';
import { compareColumns, detectSchemaDrift } from './schema-drift.detector';
import { detectVolume } from './volume.detector';

const options = DEFAULT_DETECTION;
const HOUR = 3_600_000;

/** Judges each run against the runs before it, as the monitor does when they arrive in order. */
function replay(runs: readonly RunStatsRecord[]): Finding[] {
  return runs.flatMap((current, i) => {
    const history = runs.slice(0, i);
    const interval = expectedInterval(
      undefined,
      history.map((r) => r.finishedAt),
      new Date(current.finishedAt),
      options.minHistory,
    );
    return detectRunAnomalies(current, history, interval, options);
  });
}

describe('the issue: 30 normal runs, then a volume drop and a null-rate jump', () => {
  const normal = normalRuns({ seed: 'issue', count: 30 });
  const last = normal[normal.length - 1];

  it('raises nothing over 30 runs of normal variation', () => {
    const volumes = normal.map((r) => r.rowsRead as number);
    expect(Math.max(...volumes) / Math.min(...volumes)).toBeGreaterThan(1.2); // the variation is real
    expect(replay(normal)).toEqual([]);
  });

  it('flags a run with 90% less volume as a volume drop', () => {
    const dropped = after(last, {
      runId: 'drop',
      rowsRead: Math.round((last.rowsRead as number) * 0.1),
      rowsLoaded: Math.round((last.rowsLoaded as number) * 0.1),
    });
    const findings = replay([...normal, dropped]);
    expect(findings.map((f) => f.kind)).toEqual(['volume-drop']);
    expect(findings[0]).toMatchObject({ pipelineId: 'orders', runId: 'drop', at: dropped.finishedAt });
    expect(findings[0]?.evidence).toMatchObject({ metric: 'rowsRead', history: 30 });
    expect(findings[0]?.evidence.change).toBeLessThan(-0.85);
    expect(findings[0]?.score).toBeGreaterThan(1);
  });

  it('flags a run whose column turned mostly null as a null-rate jump', () => {
    const columns = BASE_COLUMNS.map((c) => (c.name === 'email' ? { ...c, nullRate: 0.35 } : c));
    const jumped = after(last, { runId: 'nulls', columns });
    const findings = replay([...normal, jumped]);
    expect(findings.map((f) => f.kind)).toEqual(['null-rate-jump']);
    expect(findings[0]?.evidence.columns).toEqual([expect.objectContaining({ column: 'email', nullRate: 0.35 })]);
  });

  it('holds for other seeds: normal variation stays quiet, the anomalies are found', () => {
    let quietFalseAlarms = 0;
    for (let s = 0; s < 20; s++) {
      const runs = normalRuns({ seed: `seed-${s}`, count: 30 });
      quietFalseAlarms += replay(runs).length;
      const end = runs[runs.length - 1];
      const drop = after(end, { runId: 'd', rowsRead: Math.round((end.rowsRead as number) / 10) });
      expect(replay([...runs, drop]).map((f) => f.kind)).toContain('volume-drop');
    }
    expect(quietFalseAlarms).toBeLessThanOrEqual(1);
  });
});

describe('volume', () => {
  const history = normalRuns({ seed: 'volume', count: 20 });
  const last = history[history.length - 1];

  it('flags a tenfold spike', () => {
    const spike = after(last, { runId: 'x', rowsRead: (last.rowsRead as number) * 10 });
    expect(detectVolume(spike, history, options)).toMatchObject({ kind: 'volume-spike', runId: 'x' });
  });

  it('follows a growing pipeline instead of alerting on its growth', () => {
    const growing = Array.from({ length: 40 }, (_, i) =>
      run({ runId: `g${i}`, rowsRead: Math.round(10_000 * 1.05 ** i), finishedAt: new Date(i * HOUR).toISOString() }),
    );
    expect(replay(growing)).toEqual([]);
  });

  it('waits for the minimum history and judges only succeeded runs', () => {
    const short = history.slice(0, options.minHistory - 1);
    const drop = after(last, { runId: 'y', rowsRead: 1 });
    expect(detectVolume(drop, short, options)).toBeUndefined();
    expect(detectVolume({ ...drop, status: 'failed' }, history, options)).toBeUndefined();
    expect(detectVolume({ ...drop, rowsRead: undefined, rowsLoaded: undefined }, history, options)).toBeUndefined();
    expect(detectVolume({ ...drop, rowsRead: undefined, rowsLoaded: 1 }, history, options)?.evidence.metric).toBe(
      'rowsLoaded',
    );
  });

  it('judges a constant history to the smallest relative change it resolves', () => {
    const constant = Array.from({ length: 12 }, (_, i) => run({ runId: `c${i}`, rowsRead: 1000 }));
    expect(detectVolume(run({ runId: 'same', rowsRead: 1001 }), constant, options)).toBeUndefined();
    expect(detectVolume(run({ runId: 'zero', rowsRead: 0 }), constant, options)?.kind).toBe('volume-drop');
    const empty = Array.from({ length: 12 }, (_, i) => run({ runId: `e${i}`, rowsRead: 0 }));
    expect(detectVolume(run({ runId: 'first', rowsRead: 5000 }), empty, options)?.evidence.change).toBeNull();
  });

  it('asks for more evidence while the history is short', () => {
    expect(threshold(options, 8)).toBeGreaterThan(threshold(options, 30));
    expect(threshold(options, 30)).toBeGreaterThan(threshold(options, 200));
    expect(threshold(options, 200)).toBeGreaterThan(options.k);
  });
});

describe('duration', () => {
  const history = normalRuns({ seed: 'duration', count: 30 });
  const last = history[history.length - 1];

  it('flags a run that took far longer than the EWMA band', () => {
    const slow = after(last, { runId: 'slow', durationMs: (last.durationMs as number) * 5 });
    const finding = detectDuration(slow, history, options);
    expect(finding).toMatchObject({ kind: 'duration-spike', runId: 'slow' });
    expect(finding?.evidence.ratio).toBeGreaterThan(3);
  });

  it('does not flag a faster run, a short history or a failed run', () => {
    const fast = after(last, { runId: 'fast', durationMs: (last.durationMs as number) / 5 });
    expect(detectDuration(fast, history, options)).toBeUndefined();
    const slow = after(last, { runId: 's', durationMs: (last.durationMs as number) * 5 });
    expect(detectDuration(slow, history.slice(0, 5), options)).toBeUndefined();
    expect(detectDuration({ ...slow, status: 'failed' }, history, options)).toBeUndefined();
    expect(detectDuration({ ...slow, durationMs: undefined }, history, options)).toBeUndefined();
  });
});

describe('null rate', () => {
  const history = normalRuns({ seed: 'nulls', count: 20 });
  const last = history[history.length - 1];

  it('does not flag one null more in a column that is never null', () => {
    const columns = BASE_COLUMNS.map((c) => (c.name === 'id' ? { ...c, nullRate: 1 / 10_000 } : c));
    expect(detectNullRate(after(last, { runId: 'one', columns }), history, options)).toBeUndefined();
  });

  it('names every column that jumped, and ignores falls and unknown columns', () => {
    const columns = [
      ...BASE_COLUMNS.map((c) =>
        c.name === 'email' ? { ...c, nullRate: 0 } : c.name === 'amount' ? { ...c, nullRate: 0.5 } : c,
      ),
      { name: 'new', type: 'string' as const, nullRate: 1 },
    ];
    const finding = detectNullRate(after(last, { runId: 'mixed', columns }), history, options);
    expect(finding?.evidence.columns).toEqual([expect.objectContaining({ column: 'amount' })]);
  });

  it('uses the run’s rows when the sample size is unknown, and needs columns', () => {
    const bare = history.map((r) => ({ ...r, columns: r.columns?.map(({ sampleSize: _, ...c }) => c) }));
    const columns = BASE_COLUMNS.map(({ sampleSize: _, ...c }) => (c.name === 'email' ? { ...c, nullRate: 0.3 } : c));
    const finding = detectNullRate(after(last, { runId: 'n', columns }), bare, options);
    expect(finding?.evidence.columns).toEqual([expect.objectContaining({ measuredOn: last.rowsRead })]);
    expect(detectNullRate(after(last, { runId: 'none', columns: undefined }), history, options)).toBeUndefined();
  });
});

describe('schema drift', () => {
  const history = normalRuns({ seed: 'schema', count: 3 });
  const last = history[history.length - 1];

  it('flags added, removed and retyped columns against the previous run', () => {
    const columns = [
      { name: 'id', type: 'string' as const },
      { name: 'email', type: 'string' as const },
      { name: 'country', type: 'string' as const },
    ];
    const finding = detectSchemaDrift(after(last, { runId: 'drift', columns }), history);
    expect(finding).toMatchObject({ kind: 'schema-drift', runId: 'drift', score: 2 });
    expect(finding?.evidence).toMatchObject({
      added: [{ name: 'country', type: 'string' }],
      removed: [{ name: 'amount', type: 'decimal' }],
      retyped: [{ name: 'id', from: 'bigint', to: 'string' }],
      previousRunId: last.runId,
      fingerprint: schemaFingerprint(columns),
    });
    expect(finding?.summary).toContain('added country');
  });

  it('is a warning-sized change when a column is only added', () => {
    const columns = [...BASE_COLUMNS, { name: 'note', type: 'string' as const }];
    expect(detectSchemaDrift(after(last, { runId: 'add', columns }), history)?.score).toBe(1);
  });

  it('ignores null rates and column order, and needs an earlier schema', () => {
    const reordered = [...BASE_COLUMNS].reverse().map((c) => ({ ...c, nullRate: 0.5 }));
    expect(detectSchemaDrift(after(last, { runId: 'same', columns: reordered }), history)).toBeUndefined();
    expect(detectSchemaDrift(after(last, { runId: 'first' }), [])).toBeUndefined();
    expect(compareColumns(BASE_COLUMNS, BASE_COLUMNS)).toEqual({ added: [], removed: [], retyped: [] });
  });
});

describe('freshness', () => {
  const history = normalRuns({ seed: 'fresh', count: 12 });
  const last = history[history.length - 1];
  const finishes = history.map((r) => r.finishedAt);

  it('flags a pipeline with no success for longer than its median gap and tolerance', () => {
    const now = new Date(Date.parse(last.finishedAt) + 3 * HOUR);
    const interval = expectedInterval(undefined, finishes, now, options.minHistory);
    expect(interval?.basis).toBe('median gap');
    const finding = detectFreshness('orders', last, interval, now, options);
    expect(finding).toMatchObject({ kind: 'freshness', runId: last.runId, at: now.toISOString() });
    expect(finding?.evidence).toMatchObject({ lastSuccessRunId: last.runId, basis: 'median gap' });
  });

  it('stays quiet within the interval and its tolerance', () => {
    const now = new Date(Date.parse(last.finishedAt) + 1.2 * HOUR);
    const interval = expectedInterval(undefined, finishes, now, options.minHistory);
    expect(detectFreshness('orders', last, interval, now, options)).toBeUndefined();
  });

  it('takes the interval from the schedule when there is one', () => {
    expect(scheduleInterval('*/15 * * * *', new Date('2026-03-01T00:07:00Z'))).toBe(15 * 60_000);
    expect(scheduleInterval('not a cron', new Date())).toBeUndefined();
    const daily = expectedInterval('0 2 * * *', [], new Date('2026-03-01T00:00:00Z'), options.minHistory);
    expect(daily).toEqual({ ms: 24 * HOUR, spreadMs: 0, basis: 'schedule' });
    const now = new Date(Date.parse(last.finishedAt) + 40 * HOUR);
    expect(detectFreshness('orders', last, daily, now, options)?.evidence.basis).toBe('schedule');
    expect(detectFreshness('orders', last, daily, new Date(Date.parse(last.finishedAt) + 30 * 60_000), options)).toBe(
      undefined,
    );
  });

  it('needs a success and an interval', () => {
    expect(expectedInterval(undefined, finishes.slice(0, 3), new Date(), options.minHistory)).toBeUndefined();
    const same = Array<string>(10).fill(last.finishedAt);
    expect(expectedInterval(undefined, same, new Date(), options.minHistory)).toBeUndefined();
    expect(
      detectFreshness('orders', undefined, { ms: HOUR, spreadMs: 0, basis: 'schedule' }, new Date(), options),
    ).toBe(undefined);
  });
});

describe('predictive: failure trend', () => {
  const base = normalRuns({ seed: 'trend', count: 10 });
  const interval = { ms: HOUR, spreadMs: 0, basis: 'schedule' as const };

  it('flags durations climbing towards the schedule interval before a run outlasts it', () => {
    const climbing = base.map((r, i) => ({ ...r, durationMs: 20 * 60_000 + i * 4 * 60_000 + (i % 3) * 20_000 }));
    const current = climbing[climbing.length - 1] as RunStatsRecord;
    expect(current.durationMs).toBeLessThan(HOUR);
    const finding = detectFailureTrend(current, climbing.slice(0, -1), interval, options);
    expect(finding).toMatchObject({ kind: 'failure-trend', runId: current.runId });
    const [signal] = finding?.evidence.signals as Array<Record<string, unknown>>;
    expect(signal).toMatchObject({ metric: 'durationMs', intervalMs: HOUR });
    expect(signal?.slopePerRun).toBeGreaterThan(200_000);
    expect(signal?.projected).toBeGreaterThanOrEqual(HOUR);
    expect(signal?.runsUntilBreach).toBeGreaterThanOrEqual(1);
    expect(finding?.evidence.series).toMatchObject({ durationMs: climbing.map((r) => r.durationMs) });
  });

  it('flags rising retries and failed tasks', () => {
    const retrying = base.map((r, i) => ({ ...r, retries: Math.floor(i / 2), failedTasks: i === 9 ? 1 : 0 }));
    const current = retrying[retrying.length - 1];
    expect(taskFailures(current)).toBe(5);
    const finding = detectFailureTrend(current, retrying.slice(0, -1), undefined, options);
    expect((finding?.evidence.signals as Array<{ metric: string }>).map((s) => s.metric)).toEqual(['taskFailures']);
  });

  it('stays quiet on flat or noisy series, short histories, and runs already past the interval', () => {
    const current = base[base.length - 1];
    expect(detectFailureTrend(current, base.slice(0, -1), interval, options)).toBeUndefined();
    expect(detectFailureTrend(current, base.slice(0, 3), interval, options)).toBeUndefined();
    const late = base.map((r, i) => ({ ...r, durationMs: HOUR + i * 60_000 }));
    expect(detectFailureTrend(late[9] as RunStatsRecord, late.slice(0, -1), interval, options)).toBeUndefined();
  });
});
