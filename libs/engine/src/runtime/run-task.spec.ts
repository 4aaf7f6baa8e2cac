import { PipelinePlan } from '@aoe/contracts';
import {
  ConnectorError,
  type Batch,
  type CheckResult,
  type CursorState,
  type ReadOptions,
  type RejectedRecord,
  type Row,
  type SinkConnector,
  type SourceConnector,
  type StreamSchema,
  type WriteOptions,
  type WriteResult,
} from '@aoe/connectors';
import { InMemoryQuarantineSink } from '../quarantine/quarantine-sink';
import { engineFault, type EngineFaultPoint } from './fault-injection';
import { runTask, type RunTaskOptions } from './run-task';
import type { EngineTaskSpec } from './task-spec';
import type { TaskProgress } from './task-metrics';

const schema: StreamSchema = {
  name: 'orders',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'email', type: 'string', nullable: true },
    { name: 'amount', type: 'string', nullable: true },
    { name: 'updated', type: 'integer', nullable: false },
  ],
  primaryKey: ['id'],
};

function makeRows(n: number, start = 1): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: start + i,
    email: `user${start + i}@x.io`,
    amount: String((start + i) * 1.5),
    updated: Math.floor((start + i) / 10),
  }));
}

/** A source over an array: batches of `batchSize`, cursor-aware like the real ones. */
class ArraySource implements SourceConnector {
  readonly kind = 'file' as const;
  reads: ReadOptions[] = [];
  closed = 0;
  constructor(
    public rows: Row[],
    private readonly rejected: RejectedRecord[] = [],
    private readonly delayMs = 0,
  ) {}
  async check(): Promise<CheckResult> {
    return { ok: true };
  }
  async discover(): Promise<StreamSchema[]> {
    return [schema, { ...schema, name: 'other' }];
  }
  async *read(options: ReadOptions): AsyncGenerator<Batch> {
    this.reads.push(options);
    const mark = options.cursor?.value;
    const rows = this.rows.filter(
      (r) => mark === undefined || mark === null || (r.updated as number) >= (mark as number),
    );
    try {
      for (let i = 0; i < rows.length; i += options.batchSize) {
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        const slice = rows.slice(i, i + options.batchSize);
        yield {
          rows: slice.map((r) => ({ ...r })),
          positions: slice.map((r) => `orders.csv:${(r.id as number) + 1}`),
          rejected: i === 0 ? this.rejected : [],
          bytes: slice.length * 10,
        };
      }
    } finally {
      this.closed++;
    }
  }
}

/** A sink with the real one's guarantees: all-or-nothing, a ledger by (run, task), the checkpoint in the same commit. */
class MemorySink implements SinkConnector {
  readonly kind = 'postgres' as const;
  table: Row[] = [];
  ledger = new Set<string>();
  checkpoints = new Map<string, CursorState>();
  writes: WriteOptions[] = [];
  failWith?: Error;
  async check(): Promise<CheckResult> {
    return { ok: true };
  }
  async readCheckpoint(pipelineId: string, stream: string): Promise<CursorState | undefined> {
    return this.checkpoints.get(`${pipelineId}/${stream}`);
  }
  async write(batches: AsyncIterable<Batch>, options: WriteOptions): Promise<WriteResult> {
    this.writes.push(options);
    const key = `${options.runId}/${options.taskId}`;
    if (this.ledger.has(key)) {
      await batches[Symbol.asyncIterator]().return?.();
      return { rowsWritten: 0, bytesWritten: 0, location: 'memory' };
    }
    const staged: Row[] = [];
    for await (const batch of batches) {
      staged.push(...batch.rows);
      if (this.failWith) throw this.failWith;
    }
    const state = options.checkpoint?.state();
    // commit
    if (options.mode === 'replace') this.table = [];
    this.table.push(...staged);
    if (state && options.checkpoint)
      this.checkpoints.set(`${options.checkpoint.pipelineId}/${options.checkpoint.stream}`, state);
    this.ledger.add(key);
    return { rowsWritten: staged.length, bytesWritten: staged.length, location: 'memory' };
  }
}

function spec(overrides: Partial<EngineTaskSpec> = {}): EngineTaskSpec {
  return {
    pipelineId: 'p1',
    extract: { mode: 'full' },
    stages: [],
    load: { mode: 'append' },
    batchSize: 10,
    ...overrides,
  };
}

function options(source: SourceConnector, sink: SinkConnector, extra: Partial<RunTaskOptions> = {}): RunTaskOptions {
  return { runId: 'run-1', taskId: 'load', source, sink, plan: spec(), ...extra };
}

describe('runTask', () => {
  it('streams extract → transform → validate → load and reports metrics', async () => {
    const source = new ArraySource(makeRows(25));
    const sink = new MemorySink();
    const progress: TaskProgress[] = [];
    const result = await runTask(
      options(source, sink, {
        plan: spec({
          stages: [
            {
              kind: 'transform',
              operations: [
                { op: 'cast', column: 'amount', to: 'number' },
                { op: 'filter', expr: 'id <= 20' },
              ],
            },
            { kind: 'transform', operations: [{ op: 'derive', column: 'double', expr: 'amount * 2' }] },
            { kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'fail' },
          ],
        }),
        onProgress: (p) => progress.push(p),
      }),
    );
    expect(result.status).toBe('succeeded');
    expect(sink.table).toHaveLength(20);
    expect(sink.table[0]).toEqual({ id: 1, email: 'user1@x.io', amount: 1.5, updated: 0, double: 3 });
    expect(result.outputSchema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:integer',
      'email:string',
      'amount:number',
      'updated:integer',
      'double:number',
    ]);
    expect(result.outputSchema?.primaryKey).toEqual(['id']);
    expect(result.metrics).toMatchObject({
      rowsRead: 25,
      rowsLoaded: 20,
      rowsToLoad: 20,
      rowsFiltered: 5,
      rowsQuarantined: 0,
      bytesRead: 250,
      batches: 3,
    });
    expect(result.metrics.cpuSeconds).toBeGreaterThan(0);
    expect(result.metrics.peakRssBytes).toBeGreaterThan(1_000_000);
    expect(progress.at(-1)).toMatchObject({ done: true, rowsLoaded: 20 });
    expect(progress.filter((p) => p.done)).toHaveLength(1);
    expect(sink.writes[0]).toMatchObject({
      runId: 'run-1',
      taskId: 'load',
      mode: 'append',
      schemaEvolution: 'additive',
    });
    expect(sink.writes[0].checkpoint?.state()).toBeUndefined();
    expect(sink.checkpoints.size).toBe(0);
    expect(source.closed).toBe(1);
  });

  it('quarantines failed casts, broken rules and unreadable records with reason and position', async () => {
    const rows = makeRows(12);
    rows[2].amount = 'n/a';
    rows[5].email = null;
    const source = new ArraySource(rows, [{ position: 'orders.csv:99', reason: 'ragged line', raw: 'a,b' }]);
    const sink = new MemorySink();
    const quarantine = new InMemoryQuarantineSink();
    const result = await runTask(
      options(source, sink, {
        quarantine,
        plan: spec({
          stages: [
            { kind: 'transform', operations: [{ op: 'cast', column: 'amount', to: 'decimal' }] },
            { kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'quarantine' },
          ],
        }),
      }),
    );
    expect(result.status).toBe('succeeded');
    expect(sink.table).toHaveLength(10);
    expect(result.metrics).toMatchObject({ rowsRead: 13, rowsQuarantined: 3, rowsLoaded: 10 });
    expect(quarantine.records).toEqual([
      {
        runId: 'run-1',
        taskId: 'load',
        position: 'orders.csv:99',
        reason: 'source: ragged line',
        row: { raw: 'a,b' },
        stage: 'source',
      },
      expect.objectContaining({
        position: 'orders.csv:4',
        reason: `transform #1 (cast): cannot cast "amount" to decimal: 'n/a' is not a decimal`,
        row: expect.objectContaining({ id: 3, amount: 'n/a' }),
        stage: 'transform',
      }),
      expect.objectContaining({ position: 'orders.csv:7', reason: 'not-null: "email" is null', stage: 'validate' }),
    ]);
  });

  it('fails with a data-quality error listing the first failures, and loads nothing', async () => {
    const rows = makeRows(30);
    for (const i of [3, 4, 5]) rows[i].email = null;
    const sink = new MemorySink();
    const result = await runTask(
      options(new ArraySource(rows), sink, {
        plan: spec({
          stages: [{ kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'fail' }],
        }),
        maxFailuresReported: 2,
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ class: 'data-quality', retryable: false, code: 'DATA_QUALITY' });
    expect(result.error?.message).toBe(
      '3 row(s) of batch 1 broke a validation rule: orders.csv:5: not-null: "email" is null; orders.csv:6: not-null: "email" is null',
    );
    expect(sink.table).toHaveLength(0);
  });

  it('fails on an unreadable record when the plan does not quarantine', async () => {
    const result = await runTask(
      options(new ArraySource(makeRows(3), [{ position: 'x:1', reason: 'bad', raw: '"' }]), new MemorySink()),
    );
    expect(result.error?.message).toContain('could not be read: x:1: source: bad');
  });

  it('checks row counts at the end, before the load commits', async () => {
    const sink = new MemorySink();
    const result = await runTask(
      options(new ArraySource(makeRows(5)), sink, {
        plan: spec({
          stages: [{ kind: 'validate', rules: [{ rule: 'row-count', min: 10 }], onFailure: 'quarantine' }],
        }),
        quarantine: new InMemoryQuarantineSink(),
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ class: 'data-quality', message: 'row-count: 5 rows, expected at least 10' });
    expect(sink.table).toHaveLength(0);
  });

  it('refuses a plan that does not fit the source, before reading a row', async () => {
    const source = new ArraySource(makeRows(5));
    const drift = await runTask(
      options(source, new MemorySink(), {
        plan: spec({ stages: [{ kind: 'transform', operations: [{ op: 'filter', expr: 'gone > 1' }] }] }),
      }),
    );
    expect(drift.error).toMatchObject({ class: 'schema-drift', retryable: false, code: 'PLAN_INVALID' });
    expect(drift.error?.message).toContain('task'.length ? 'transform #1 (filter)' : '');
    expect(source.reads).toHaveLength(0);

    const bug = await runTask(
      options(source, new MemorySink(), {
        plan: spec({
          stages: [
            { kind: 'validate', rules: [{ rule: 'pattern', column: 'email', regex: '(a+)+' }], onFailure: 'fail' },
          ],
        }),
      }),
    );
    expect(bug.error).toMatchObject({ class: 'bug', retryable: false });

    const key = await runTask(
      options(source, new MemorySink(), { plan: spec({ load: { mode: 'merge', primaryKey: ['nope'] } }) }),
    );
    expect(key.error?.message).toContain('primary key column "nope" is not in the output');

    const noQuarantine = await runTask(
      options(source, new MemorySink(), {
        plan: spec({ stages: [{ kind: 'validate', rules: [], onFailure: 'quarantine' }] }),
      }),
    );
    expect(noQuarantine.error?.message).toContain('no quarantine sink is configured');
    expect(source.reads).toHaveLength(0);
  });

  it('reads the named stream, and refuses an unknown one', async () => {
    const ok = await runTask(options(new ArraySource(makeRows(2)), new MemorySink(), { streamName: 'other' }));
    expect(ok.outputSchema?.name).toBe('other');
    const missing = await runTask(options(new ArraySource(makeRows(2)), new MemorySink(), { streamName: 'nope' }));
    expect(missing.error?.message).toContain('no stream "nope" (streams: orders, other)');
  });

  it('is cancelled through its AbortSignal, mid-stream, without committing', async () => {
    const controller = new AbortController();
    const sink = new MemorySink();
    const source = new ArraySource(makeRows(100), [], 2);
    const result = await runTask(
      options(source, sink, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.batches >= 2) controller.abort();
        },
        progressIntervalMs: 0,
      }),
    );
    expect(result.status).toBe('cancelled');
    expect(result.cause).toMatchObject({ code: 'CANCELLED' });
    expect(sink.table).toHaveLength(0);
    expect(source.closed).toBe(1);

    const before = await runTask(options(new ArraySource(makeRows(1)), sink, { signal: AbortSignal.abort() }));
    expect(before.status).toBe('cancelled');
  });

  it('treats a timeout signal as a retryable failure, not a cancel', async () => {
    const result = await runTask(
      options(new ArraySource(makeRows(50), [], 5), new MemorySink(), { signal: AbortSignal.timeout(8) }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ class: 'timeout', retryable: true });
  });

  it('keeps the class a connector gave its error', async () => {
    const sink = new MemorySink();
    sink.failWith = new ConnectorError('rate-limit', 'slow down');
    const result = await runTask(options(new ArraySource(makeRows(3)), sink));
    expect(result.error).toEqual({ class: 'rate-limit', message: 'slow down', retryable: true });
  });

  it('reports our own failure even when the sink wraps it', async () => {
    class WrappingSink extends MemorySink {
      override async write(batches: AsyncIterable<Batch>, o: WriteOptions): Promise<WriteResult> {
        try {
          return await super.write(batches, o);
        } catch (error) {
          throw new ConnectorError('unknown', `wrapped: ${(error as Error).message}`);
        }
      }
    }
    const rows = makeRows(3);
    rows[0].email = null;
    const result = await runTask(
      options(new ArraySource(rows), new WrappingSink(), {
        plan: spec({
          stages: [{ kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'fail' }],
        }),
      }),
    );
    expect(result.error?.class).toBe('data-quality');
  });

  it('throttles progress reports', async () => {
    let clock = 0;
    const reports: TaskProgress[] = [];
    await runTask(
      options(new ArraySource(makeRows(100)), new MemorySink(), {
        now: () => (clock += 100),
        progressIntervalMs: 1000,
        onProgress: (p) => {
          reports.push(p);
          throw new Error('a broken listener does not fail the load');
        },
      }),
    );
    // 10 batches; unthrottled that would be 10 reports plus the final one.
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.length).toBeLessThanOrEqual(6);
    expect(reports.at(-1)?.done).toBe(true);
  });

  describe.each<[EngineFaultPoint, number | undefined]>([
    ['after-extract-batch', 2],
    ['before-load', undefined],
    ['mid-load', 2],
    ['after-load', undefined],
  ])('a crash at %s', (point, batch) => {
    it('fails retryably, and a rerun leaves the target as one clean run would', async () => {
      const rows = makeRows(45);
      const clean = new MemorySink();
      await runTask(options(new ArraySource(rows), clean));

      const sink = new MemorySink();
      const fault = engineFault({ at: point, batch });
      const first = await runTask(options(new ArraySource(rows), sink, { faults: fault }));
      expect(first.status).toBe('failed');
      expect(first.error).toMatchObject({ class: 'transient-network', retryable: true, code: 'INJECTED_FAULT' });
      expect(fault.fired()).toBe(1);

      const rerun = await runTask(options(new ArraySource(rows), sink, { faults: fault }));
      expect(rerun.status).toBe('succeeded');
      expect(sink.table).toEqual(clean.table);
    });
  });

  describe('incremental', () => {
    const incremental = (): EngineTaskSpec =>
      spec({ extract: { mode: 'incremental', cursorColumn: 'updated' }, load: { mode: 'append', primaryKey: ['id'] } });

    it('commits the cursor with the data, and skips what an earlier run loaded at the mark', async () => {
      const source = new ArraySource(makeRows(25)); // updated = floor(id / 10): ids 20..25 share the mark 2
      const sink = new MemorySink();
      const first = await runTask(options(source, sink, { plan: incremental(), runId: 'r1' }));
      expect(first.status).toBe('succeeded');
      expect(first.checkpoint).toEqual({
        column: 'updated',
        value: 2,
        keysAtValue: ['20', '21', '22', '23', '24', '25'],
      });
      expect(sink.checkpoints.get('p1/orders')).toEqual(first.checkpoint);
      expect(sink.writes[0].checkpoint).toMatchObject({ pipelineId: 'p1', stream: 'orders' });

      source.rows = makeRows(35); // ids 26..29 join the mark 2, 30..35 reach 3
      const second = await runTask(options(source, sink, { plan: incremental(), runId: 'r2' }));
      expect(source.reads[1].cursor).toEqual(first.checkpoint);
      expect(source.reads[1].cursorColumn).toBe('updated');
      expect(second.metrics.rowsAlreadyLoaded).toBe(6);
      expect(second.metrics.rowsLoaded).toBe(10);
      expect(second.checkpoint).toEqual({
        column: 'updated',
        value: 3,
        keysAtValue: ['30', '31', '32', '33', '34', '35'],
      });
      expect(sink.table.map((r) => r.id)).toEqual(makeRows(35).map((r) => r.id));

      const third = await runTask(options(source, sink, { plan: incremental(), runId: 'r3' }));
      expect(third.metrics.rowsLoaded).toBe(0);
      expect(sink.table).toHaveLength(35);
    });

    it('reads the checkpoint from an explicit reader, and refuses an unknown cursor column', async () => {
      const reader = {
        readCheckpoint: jest.fn(async () => ({ column: 'updated', value: 1, keysAtValue: [] as string[] })),
      };
      const source = new ArraySource(makeRows(25));
      const result = await runTask(options(source, new MemorySink(), { plan: incremental(), checkpoints: reader }));
      expect(reader.readCheckpoint).toHaveBeenCalledWith('p1', 'orders');
      expect(result.metrics.rowsLoaded).toBe(16);

      const bad = await runTask(
        options(source, new MemorySink(), { plan: spec({ extract: { mode: 'incremental', cursorColumn: 'nope' } }) }),
      );
      expect(bad.error).toMatchObject({ class: 'schema-drift' });
      const pgLike: SourceConnector = {
        kind: 'postgres',
        check: async () => ({ ok: true }),
        discover: async () => [schema],
        read: (o) => new ArraySource([]).read(o),
      };
      const none = await runTask(
        options(pgLike, new MemorySink(), {
          plan: spec({ extract: { mode: 'incremental' } }),
        }),
      );
      expect(none.error?.message).toContain('needs a cursorColumn');
    });

    it('checkpoints the state file and object sources carry on their batches', async () => {
      class ObjectSource extends ArraySource {
        override async *read(o: ReadOptions): AsyncGenerator<Batch> {
          this.reads.push(o);
          const state = (n: number): CursorState => ({
            column: '_last_modified',
            value: `2024-01-0${n}T00:00:00.000Z`,
            keysAtValue: [],
            objects: [{ key: `f${n}.csv`, lastModified: `2024-01-0${n}T00:00:00.000Z` }],
          });
          const rows = makeRows(3);
          yield { rows, positions: ['f1.csv:2', 'f1.csv:3', 'f1.csv:4'], rejected: [], bytes: 3, cursor: state(1) };
          // The last batch may carry only the state.
          yield { rows: [], positions: [], rejected: [], bytes: 0, cursor: state(2) };
        }
      }
      const sink = new MemorySink();
      const source = new ObjectSource([]);
      const first = await runTask(options(source, sink, { plan: spec({ extract: { mode: 'incremental' } }) }));
      expect(first.status).toBe('succeeded');
      expect(source.reads[0]).toMatchObject({ cursorColumn: '_last_modified' });
      expect(source.reads[0].cursor).toBeUndefined();
      expect(first.checkpoint?.value).toBe('2024-01-02T00:00:00.000Z');
      expect(sink.checkpoints.get('p1/orders')).toEqual(first.checkpoint);

      const next = spec({ extract: { mode: 'incremental', cursorColumn: '_last_modified' } });
      await runTask(options(source, sink, { runId: 'r2', plan: next }));
      expect(source.reads[1]).toMatchObject({ cursor: first.checkpoint, cursorColumn: '_last_modified' });

      // A full read checkpoints too, so the next run can be incremental.
      const full = new MemorySink();
      const result = await runTask(options(new ObjectSource([]), full));
      expect(result.checkpoint?.value).toBe('2024-01-02T00:00:00.000Z');
      expect(full.checkpoints.size).toBe(1);
    });
  });

  it('runs the chain of a contract plan ending in the task it is given', async () => {
    const plan = PipelinePlan.parse({
      pipelineId: 'orders-pipeline',
      sourceId: 's1',
      version: 1,
      target: { kind: 'warehouse', table: { name: 'orders' } },
      tasks: [
        { id: 'load', kind: 'load', dependsOn: ['check'], params: { mode: 'merge', primaryKey: ['id'] } },
        {
          id: 'check',
          kind: 'validate',
          dependsOn: ['shape'],
          params: { rules: [{ rule: 'range', column: 'id', max: 5 }], onFailure: 'quarantine' },
        },
        {
          id: 'shape',
          kind: 'transform',
          dependsOn: ['extract'],
          params: { operations: [{ op: 'select', columns: ['id', 'email'] }] },
        },
        { id: 'extract', kind: 'extract', params: { mode: 'full', partitions: 2 } },
      ],
      settings: { batchSize: 4, readParallelism: 1, loadConcurrency: 1 },
      createdBy: 'rules',
      createdAt: '2026-01-01T00:00:00Z',
    });
    const source = new ArraySource(makeRows(8));
    const sink = new MemorySink();
    const quarantine = new InMemoryQuarantineSink();
    const result = await runTask({ runId: 'r', taskId: 'load', source, sink, plan, quarantine });
    expect(result.status).toBe('succeeded');
    expect(source.reads[0]).toMatchObject({ batchSize: 4, partitions: 2 });
    expect(sink.writes[0]).toMatchObject({ mode: 'merge', primaryKey: ['id'] });
    expect(sink.table).toEqual(makeRows(5).map((r) => ({ id: r.id, email: r.email })));
    expect(quarantine.records.map((r) => r.position)).toEqual(['orders.csv:7', 'orders.csv:8', 'orders.csv:9']);
  });

  it('takes a known schema instead of discovering one', async () => {
    const source = new ArraySource(makeRows(2));
    const discover = jest.spyOn(source, 'discover');
    const result = await runTask(
      options(source, new MemorySink(), { schema: { ...schema, name: 'given', primaryKey: undefined } }),
    );
    expect(discover).not.toHaveBeenCalled();
    expect(result.outputSchema).toMatchObject({ name: 'given', primaryKey: undefined });
  });
});
