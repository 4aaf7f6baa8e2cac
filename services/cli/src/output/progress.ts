import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { TaskEvent } from '@aoe/contracts';
import { bytes, count } from './format';

/** How a run's task events are shown while it runs. */
export interface ProgressView {
  /** A step of the flow before the run ("analyzing the source…"). */
  step(text: string): void;
  /** The run is about to start: its load tasks (one bar each) and the rows the profile expects. */
  expect(loadTaskIds: readonly string[], expectedRows: number | undefined): void;
  task(event: TaskEvent): void;
  stop(): void;
}

/** Shows nothing (`--json`). */
export const silentProgress: ProgressView = { step: () => {}, expect: () => {}, task: () => {}, stop: () => {} };

/** Plain lines (not a terminal): one per step and task change, progress at most every `everyMs`. */
export function lineProgress(out: NodeJS.WritableStream, everyMs = 2_000): ProgressView {
  const lastShown = new Map<string, number>();
  return {
    step: (text) => out.write(`${text}\n`),
    expect: () => {},
    task: (event) => {
      const key = event.taskId;
      switch (event.status) {
        case 'started':
          out.write(`task ${key} started\n`);
          break;
        case 'progress': {
          const now = Date.now();
          if (now - (lastShown.get(key) ?? 0) < everyMs) return;
          lastShown.set(key, now);
          out.write(`task ${key}: ${count(event.rows ?? 0)} rows, ${bytes(event.bytes ?? 0)} read\n`);
          break;
        }
        case 'succeeded':
          out.write(`task ${key} succeeded${event.rows !== undefined ? `: ${count(event.rows)} rows` : ''}\n`);
          break;
        case 'failed':
          out.write(`task ${key} failed: ${event.error?.message ?? 'unknown error'}\n`);
          break;
      }
    },
    stop: () => {},
  };
}

/** A live bar per load task (a terminal), sized by the rows the profile expects when it knows them. */
export function barProgress(out: NodeJS.WritableStream): ProgressView {
  let loads = new Set<string>();
  let expectedRows: number | undefined;
  const bars = new MultiBar(
    {
      stream: out,
      format: ' {task} [{bar}] {percentage}% | {value}/{total} rows | {speed} rows/s | {state}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? count(value) : String(value)),
    },
    Presets.shades_classic,
  );
  const byTask = new Map<string, { bar: SingleBar; started: number; rows: number }>();
  const barFor = (taskId: string) => {
    let entry = byTask.get(taskId);
    if (!entry) {
      const total = Math.max(1, expectedRows ?? 1);
      entry = {
        bar: bars.create(total, 0, { task: taskId, speed: 0, state: 'running' }),
        started: Date.now(),
        rows: 0,
      };
      byTask.set(taskId, entry);
    }
    return entry;
  };
  const update = (taskId: string, rows: number, state: string) => {
    const entry = barFor(taskId);
    const total = entry.bar.getTotal();
    if (rows > total) entry.bar.setTotal(rows);
    entry.rows = rows;
    const seconds = Math.max(0.001, (Date.now() - entry.started) / 1000);
    entry.bar.update(rows, { speed: count(Math.round(rows / seconds)), state });
  };
  return {
    step: (text) => bars.log(`${text}\n`),
    expect: (loadTaskIds, rows) => {
      loads = new Set(loadTaskIds);
      expectedRows = rows;
      for (const id of loadTaskIds) barFor(id);
    },
    task: (event) => {
      // Progress comes from the load task of each chain: one bar per load.
      if (!loads.has(event.taskId) && event.status !== 'failed') return;
      if (event.status === 'progress') update(event.taskId, event.rows ?? 0, 'running');
      if (event.status === 'succeeded') {
        const rows = event.rows ?? barFor(event.taskId).rows;
        barFor(event.taskId).bar.setTotal(Math.max(1, rows));
        update(event.taskId, rows, 'done');
      }
      if (event.status === 'failed') update(event.taskId, event.rows ?? 0, 'failed');
    },
    stop: () => bars.stop(),
  };
}
