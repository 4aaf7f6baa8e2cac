import type { ClassifiedError, PipelinePlan } from '@aoe/contracts';
import {
  isPassThroughFallback,
  isPassThroughSource,
  isStagedTransformSink,
  isTypedCopyRefused,
  withChunks,
  OBJECT_CURSOR_COLUMN,
  type Batch,
  type PassThroughFallback,
  type PassThroughReader,
  type CursorState,
  type Row,
  type SinkConnector,
  type SourceConnector,
  type StagedWriteAttempt,
  type StreamSchema,
  type WriteOptions,
  type WriteResult,
} from '@aoe/connectors';
import { inSpan } from '@aoe/telemetry';
import { classifyError } from '../classify-error';
import { CancelledError, DataQualityError, PlanError, type RowFailure } from '../errors';
import type { QuarantineRecord, QuarantineSink } from '../quarantine/quarantine-sink';
import type { TransformOptions } from '../transforms/transform-pipeline';
import type { ValidationOptions } from '../validation/validator';
import { jsonSafe } from '../values';
import { compileTask, type CompiledStage } from './compile-task';
import type { EngineFaultHook, EngineFaultPoint } from './fault-injection';
import { CursorTracker, isCheckpointReader, type CheckpointReader } from './incremental';
import { readAhead } from './read-ahead';
import { setBasedPlan, setBasedRefusal } from './set-based';
import { emptyMetrics, ProgressThrottle, ResourceMeter, type TaskMetrics, type TaskProgress } from './task-metrics';
import { taskSpecFromPlan, transformFailurePolicy, type EngineTaskSpec } from './task-spec';

export interface RunTaskOptions {
  runId: string;
  /** The plan task being run; its id goes with the load and the quarantined rows. */
  taskId: string;
  source: SourceConnector;
  sink: SinkConnector;
  /** A whole plan (the chain ending in `loadTaskId` is run) or a ready spec. */
  plan: PipelinePlan | EngineTaskSpec;
  /** The load task to run in a plan; `taskId` when that is a load task, else the plan's only load task. */
  loadTaskId?: string;
  /** The source stream's schema, when already known (a profile); otherwise the source's `discover()`. */
  schema?: StreamSchema;
  /** Which discovered stream to read, when the source has several. */
  streamName?: string;
  /** Required when the plan quarantines. */
  quarantine?: QuarantineSink;
  /** Where the committed incremental state is read; the sink itself when it can (`readCheckpoint`, as PostgresSink). */
  checkpoints?: CheckpointReader;
  onProgress?: (progress: TaskProgress) => void;
  /** At most one progress report per interval (default 1,000 ms), plus a final one. */
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** Fault injection (tests and chaos runs only). */
  faults?: EngineFaultHook;
  transforms?: TransformOptions;
  validation?: ValidationOptions;
  /** Batches read ahead of the load (default 2): the source works while the sink waits on the database. */
  readAhead?: number;
  /** Failures listed in a data-quality error (default 10). */
  maxFailuresReported?: number;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
  /**
   * Let an eligible task take the pass-through fast path (default true): see
   * `docs/engine.md`. False always runs the row path.
   */
  passThrough?: boolean;
}

/** A sink that can load a pass-through reader's bytes (PostgresSink). */
export interface PassThroughSink {
  writePassThrough(reader: PassThroughReader, options: WriteOptions): Promise<WriteResult | PassThroughFallback>;
}

function isPassThroughSink(sink: unknown): sink is PassThroughSink {
  return typeof (sink as Partial<PassThroughSink> | null)?.writePassThrough === 'function';
}

/** Which path a task's rows took. */
export interface TaskPath {
  /**
   * `pass-through`: bytes from the source straight into the target's COPY;
   * `set-based`: raw text COPYed into staging, casts, dedupe, rules and
   * publish in SQL; `rows`: decoded batches.
   */
  kind: 'pass-through' | 'set-based' | 'rows';
  /** Why an eligible task left a fast path for the row path (nothing had been committed). */
  fallbackReason?: string;
  /** Why the chain's shape kept it off the set-based path (the row path ran). */
  notSetBased?: string;
  /** The set-based path loaded a new target by typed COPY (no staging table). */
  typedCopy?: boolean;
  /** Why the typed COPY gave the load to the staged path (nothing had been committed). */
  typedCopyRefused?: string;
}

export type TaskStatus = 'succeeded' | 'failed' | 'cancelled';

export interface TaskResult {
  status: TaskStatus;
  metrics: TaskMetrics;
  /** The schema handed to the sink (source columns after the transforms). */
  outputSchema?: StreamSchema;
  write?: WriteResult;
  /** The incremental state committed with the data (incremental extracts). */
  checkpoint?: CursorState;
  /** Why it failed: class and whether a retry can help. */
  error?: ClassifiedError;
  /** The original error, for logs. */
  cause?: unknown;
  /** Which path the rows took (absent when the task failed before the load). */
  path?: TaskPath;
}

function isSpec(plan: PipelinePlan | EngineTaskSpec): plan is EngineTaskSpec {
  return 'stages' in plan && 'extract' in plan;
}

function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | null)?.name === 'TimeoutError';
}

/**
 * Runs one task as a single stream of batches: extract → transform →
 * validate → load. Async generators pull batch by batch, so a slow sink slows
 * the source (backpressure) and memory holds a few batches, never a table.
 *
 * Never throws: the result says succeeded, failed (with the error classified)
 * or cancelled, with the metrics either way. The load is the sink's single
 * transaction: a failure anywhere, including a rule checked at the end,
 * leaves the target as it was.
 */
export async function runTask(options: RunTaskOptions): Promise<TaskResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const meter = new ResourceMeter();
  const metrics = emptyMetrics();
  const progress = new ProgressThrottle(options.onProgress, options.progressIntervalMs ?? 1000, now);
  const { signal } = options;
  let streamFailure: { error: unknown } | undefined;
  let tracker: CursorTracker | undefined;
  let outputSchema: StreamSchema | undefined;
  const cursors: CursorHolder = {};
  let path: TaskPath | undefined;

  const snapshot = (done: boolean): TaskProgress => ({
    ...metrics,
    durationMs: now() - started,
    cpuSeconds: meter.cpuSeconds,
    peakRssBytes: meter.peakRssBytes,
    done,
  });
  const fault = async (point: EngineFaultPoint, batch: number): Promise<void> => {
    if (options.faults) await options.faults({ point, batch, rowsRead: metrics.rowsRead });
  };
  const checkAborted = (): void => {
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      if (isTimeoutReason(reason)) throw reason;
      throw new CancelledError(`task cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`);
    }
  };

  try {
    checkAborted();
    const spec = isSpec(options.plan) ? options.plan : taskSpecFromPlan(options.plan, loadTaskIdFor(options));
    const schema = options.schema ?? (await discoverStream(options.source, options.streamName));
    const compiled = compileTask(spec, schema.columns, {
      transforms: options.transforms,
      validation: options.validation,
    });
    const transformPolicy = transformFailurePolicy(spec);
    const quarantines =
      transformPolicy === 'quarantine' ||
      compiled.stages.some((s) => s.kind === 'validate' && s.onFailure === 'quarantine');
    if (quarantines && !options.quarantine) {
      throw new PlanError([
        { where: 'plan', message: 'the plan quarantines rows but no quarantine sink is configured' },
      ]);
    }
    outputSchema = {
      name: schema.name,
      columns: compiled.outputColumns,
      primaryKey: spec.load.primaryKey ?? survivingKey(schema.primaryKey, compiled.outputColumns),
    };

    const stream = spec.stream ?? schema.name;
    if (spec.extract.mode === 'incremental') {
      const column = spec.extract.cursorColumn;
      const objectSource = options.source.kind === 'file' || options.source.kind === 's3';
      const byRows = column !== undefined && schema.columns.some((c) => c.name === column);
      if (!byRows && !(objectSource && (column === undefined || column === OBJECT_CURSOR_COLUMN))) {
        if (!column)
          throw new PlanError([{ where: 'extract', message: 'an incremental extract needs a cursorColumn' }]);
        throw new PlanError([
          { where: 'extract', message: `cursor column "${column}" is not in the source`, unknownColumn: true },
        ]);
      }
      const reader = options.checkpoints ?? (isCheckpointReader(options.sink) ? options.sink : undefined);
      const previous = reader ? await reader.readCheckpoint(spec.pipelineId, stream) : undefined;
      if (byRows) {
        tracker = new CursorTracker(column, previous, schema, spec.load.primaryKey ?? schema.primaryKey);
      } else {
        // Files and objects: the source reads only new objects and carries the next state on its batches.
        cursors.read = { cursor: previous, cursorColumn: column ?? OBJECT_CURSOR_COLUMN };
      }
    }
    if (tracker) cursors.read = { cursor: tracker.previous, cursorColumn: tracker.column };

    const flow = batchFlow({
      options,
      spec,
      stages: compiled.stages,
      transformPolicy,
      tracker,
      cursors,
      metrics,
      meter,
      fault,
      checkAborted,
      onBatch: () => progress.maybe(() => snapshot(false)),
    });
    const guarded = async function* (): AsyncGenerator<Batch> {
      try {
        yield* flow;
      } catch (error) {
        streamFailure = { error };
        throw error;
      }
    };

    const finalOutputSchema = outputSchema;
    const loadOptions = (state: () => CursorState | undefined): WriteOptions => ({
      runId: options.runId,
      taskId: options.taskId,
      mode: spec.load.mode,
      schema: finalOutputSchema,
      primaryKey: finalOutputSchema.primaryKey,
      schemaEvolution: spec.load.schemaEvolution ?? 'additive',
      signal,
      checkpoint: { pipelineId: spec.pipelineId, stream, state },
    });
    /** A fast path's success: its reader's cursor is the checkpoint. */
    const fastSucceeded = async (reader: PassThroughReader, write: WriteResult): Promise<TaskResult> => {
      const state = reader.cursor();
      await fault('after-load', metrics.batches);
      meter.stop();
      return {
        status: 'succeeded',
        metrics: snapshot(true),
        outputSchema: finalOutputSchema,
        write,
        path,
        ...(state ? { checkpoint: state } : {}),
      };
    };
    const counting = (reader: PassThroughReader): PassThroughReader =>
      countedReader(reader, {
        metrics,
        meter,
        fault,
        checkAborted,
        onBatch: () => progress.maybe(() => snapshot(false)),
      });

    if (
      options.passThrough !== false &&
      spec.extract.mode !== 'incremental' &&
      !tracker &&
      !cursors.read &&
      passThroughStages(spec) &&
      isPassThroughSource(options.source) &&
      isPassThroughSink(options.sink)
    ) {
      const reader = await options.source.passThrough({
        columns: outputSchema.columns.map((c) => c.name),
        batchSize: spec.batchSize,
        notNull: notNullColumns(spec),
        signal,
      });
      if (reader) {
        await fault('before-load', 0).catch(async (error: unknown) => {
          await reader.close();
          throw error;
        });
        checkAborted();
        const sink = options.sink;
        const counted = counting(reader);
        const passThroughOptions = loadOptions(() => reader.cursor());
        const outcome = await inLoadSpan(options, spec.load.mode, 'pass-through', () =>
          sink.writePassThrough(counted, passThroughOptions),
        );
        if (!isPassThroughFallback(outcome)) {
          metrics.rowsRead = reader.rows;
          metrics.rowsToLoad = reader.rows;
          metrics.bytesRead = reader.bytes;
          metrics.rowsLoaded = outcome.rowsWritten;
          path = { kind: 'pass-through' };
          return await fastSucceeded(reader, outcome);
        }
        // Nothing was committed: the row path reads the source again, and quarantines what it must.
        path = { kind: 'rows', fallbackReason: outcome.reason };
        Object.assign(metrics, emptyMetrics());
      }
    }
    const eligibleSource =
      options.passThrough !== false &&
      spec.extract.mode !== 'incremental' &&
      !tracker &&
      !cursors.read &&
      !passThroughStages(spec);
    if (eligibleSource && isPassThroughSource(options.source) && isStagedTransformSink(options.sink)) {
      const refusal = setBasedRefusal(spec, options.sink);
      if (refusal) path = { kind: 'rows', notSetBased: refusal };
      else {
        const source = options.source;
        const open = () =>
          source.passThrough({
            columns: outputSchema!.columns.map((c) => c.name),
            batchSize: spec.batchSize,
            signal,
          });
        let reader = await open();
        if (!reader) path = { kind: 'rows', notSetBased: 'the source cannot hand over its bytes' };
        else {
          const setBased = setBasedPlan({
            spec,
            inputColumns: schema.columns,
            transformPolicy,
            transforms: options.transforms,
            validation: options.validation,
            maxFailuresReported: options.maxFailuresReported ?? 10,
            quarantine: async (failures) => {
              await options.quarantine!.write(failures.map((f) => toRecord(options, f)));
              metrics.rowsQuarantined += failures.length;
            },
          });
          const first = reader;
          await fault('before-load', 0).catch(async (error: unknown) => {
            await first.close();
            throw error;
          });
          checkAborted();
          const sink = options.sink;
          const write = async (from: PassThroughReader, attempt: StagedWriteAttempt) => {
            try {
              return await inLoadSpan(options, spec.load.mode, 'set-based', () =>
                sink.writeStaged(
                  counting(from),
                  loadOptions(() => from.cursor()),
                  setBased.transform,
                  attempt,
                ),
              );
            } catch (error) {
              // The sink reports the engine's own stop (a rule set to fail) as its abort: keep the original.
              throw setBased.failure ? setBased.failure.error : error;
            }
          };
          let outcome = await write(reader, {});
          let typedCopyRefused: string | undefined;
          if (isTypedCopyRefused(outcome)) {
            // Nothing was committed: the staged path reads the source again.
            typedCopyRefused = outcome.reason;
            Object.assign(metrics, emptyMetrics());
            const again = await open();
            if (again) {
              reader = again;
              outcome = await write(again, { typedCopy: false });
            } else outcome = { fallback: true, reason: 'the source cannot hand over its bytes again' };
          }
          if (!isPassThroughFallback(outcome)) {
            metrics.rowsRead = reader.rows;
            metrics.bytesRead = reader.bytes;
            metrics.rowsToLoad = outcome.rowsToLoad;
            metrics.rowsLoaded = outcome.rowsWritten;
            if (setBased.transform.dedupeKey && !outcome.alreadyCommitted) {
              metrics.rowsDuplicate =
                reader.rows - setBased.rejected.casts - setBased.rejected.rules - outcome.rowsToLoad;
            }
            path = {
              kind: 'set-based',
              ...(outcome.typedCopy ? { typedCopy: true } : {}),
              ...(typedCopyRefused ? { typedCopyRefused } : {}),
            };
            return await fastSucceeded(reader, outcome);
          }
          path = { kind: 'rows', fallbackReason: outcome.reason };
          Object.assign(metrics, emptyMetrics());
        }
      }
    }
    path ??= { kind: 'rows' };

    await fault('before-load', 0);
    checkAborted();
    const activeTracker = tracker;
    // Committed with the data: the row cursor's state, or the last state a file/object source carried.
    const writeOptions = loadOptions(() => activeTracker?.current() ?? cursors.last);
    let write: WriteResult;
    try {
      write = await inLoadSpan(options, spec.load.mode, 'rows', () => options.sink.write(guarded(), writeOptions));
    } catch (error) {
      // The sink reports our own failure (a rule, a cancel) as its abort: keep the original.
      throw streamFailure ? streamFailure.error : error;
    }
    metrics.rowsLoaded = write.rowsWritten;
    await fault('after-load', metrics.batches);
    meter.stop();
    return {
      status: 'succeeded',
      metrics: snapshot(true),
      outputSchema,
      write,
      path,
      ...(checkpointOf(tracker, cursors) ? { checkpoint: checkpointOf(tracker, cursors) } : {}),
    };
  } catch (caught) {
    meter.stop();
    const error = streamFailure ? streamFailure.error : caught;
    const cancelled = signal?.aborted === true && !isTimeoutReason(signal.reason);
    const final = snapshot(true);
    if (cancelled) {
      return { status: 'cancelled', metrics: final, outputSchema, error: classifyError(error), cause: error, path };
    }
    return { status: 'failed', metrics: final, outputSchema, error: classifyError(error), cause: error, path };
  } finally {
    meter.stop();
    progress.final(snapshot(true));
  }
}

/**
 * Stages the pass-through path can honour without values: transforms with no
 * operation, and validations made only of `not-null` rules (the reader
 * refuses the data at the first NULL there, and the row path then applies
 * the rule and quarantines or fails).
 */
function passThroughStages(spec: EngineTaskSpec): boolean {
  return spec.stages.every((stage) =>
    stage.kind === 'transform' ? stage.operations.length === 0 : stage.rules.every((rule) => rule.rule === 'not-null'),
  );
}

function notNullColumns(spec: EngineTaskSpec): string[] {
  const columns = new Set<string>();
  for (const stage of spec.stages) {
    if (stage.kind !== 'validate') continue;
    for (const rule of stage.rules) if (rule.rule === 'not-null') columns.add(rule.column);
  }
  return [...columns];
}

interface ChunkContext {
  metrics: TaskMetrics;
  meter: ResourceMeter;
  fault: (point: EngineFaultPoint, batch: number) => Promise<void>;
  checkAborted: () => void;
  onBatch: () => void;
}

/**
 * The reader as the sink sees it, with the engine's bookkeeping per chunk (a
 * chunk counts as a batch): metrics, progress, cancel, and the fault points
 * `after-extract-batch` and `mid-load`.
 */
function countedReader(reader: PassThroughReader, ctx: ChunkContext): PassThroughReader {
  const { metrics } = ctx;
  return withChunks(reader, async function* () {
    for await (const chunk of reader.chunks()) {
      ctx.checkAborted();
      metrics.batches++;
      metrics.rowsRead = reader.rows;
      metrics.rowsToLoad = reader.rows;
      metrics.bytesRead = reader.bytes;
      await ctx.fault('after-extract-batch', metrics.batches);
      ctx.onBatch();
      yield chunk;
      await ctx.fault('mid-load', metrics.batches);
    }
  });
}

interface CursorHolder {
  /** What the source is asked to read past. */
  read?: { cursor: CursorState | undefined; cursorColumn: string };
  /** The last state a batch carried (file and object sources). */
  last?: CursorState;
}

function checkpointOf(tracker: CursorTracker | undefined, cursors: CursorHolder): CursorState | undefined {
  return tracker?.current() ?? cursors.last;
}

function loadTaskIdFor(options: RunTaskOptions): string | undefined {
  if (options.loadTaskId) return options.loadTaskId;
  const plan = options.plan as PipelinePlan;
  return plan.tasks.some((t) => t.kind === 'load' && t.id === options.taskId) ? options.taskId : undefined;
}

async function discoverStream(source: SourceConnector, name: string | undefined): Promise<StreamSchema> {
  const streams = await source.discover();
  const stream = name === undefined ? streams[0] : streams.find((s) => s.name === name);
  if (!stream) {
    throw new PlanError([
      {
        where: 'extract',
        message:
          name === undefined
            ? 'the source has no stream to read'
            : `the source has no stream "${name}" (streams: ${streams.map((s) => s.name).join(', ')})`,
        unknownColumn: name !== undefined,
      },
    ]);
  }
  return stream;
}

/** The source's key, when every column of it reaches the output under its own name. */
function survivingKey(key: string[] | undefined, columns: ReadonlyArray<{ name: string }>): string[] | undefined {
  if (!key || key.length === 0) return undefined;
  const names = new Set(columns.map((c) => c.name));
  return key.every((k) => names.has(k)) ? key : undefined;
}

interface FlowContext {
  options: RunTaskOptions;
  spec: EngineTaskSpec;
  stages: CompiledStage[];
  transformPolicy: 'fail' | 'quarantine';
  tracker: CursorTracker | undefined;
  cursors: CursorHolder;
  metrics: TaskMetrics;
  meter: ResourceMeter;
  fault: (point: EngineFaultPoint, batch: number) => Promise<void>;
  checkAborted: () => void;
  onBatch: () => void;
}

/** The stream the sink pulls: one source batch in, at most one load batch out. */
async function* batchFlow(ctx: FlowContext): AsyncGenerator<Batch> {
  const { options, spec, stages, tracker, metrics } = ctx;
  const maxReported = options.maxFailuresReported ?? 10;
  const passedPerStage = stages.map(() => 0);
  const source = options.source.read({
    batchSize: spec.batchSize,
    ...(ctx.cursors.read?.cursor ? { cursor: ctx.cursors.read.cursor } : {}),
    ...(ctx.cursors.read ? { cursorColumn: ctx.cursors.read.cursorColumn } : {}),
    ...(spec.extract.partitions && spec.extract.partitions > 1 ? { partitions: spec.extract.partitions } : {}),
    signal: options.signal,
  });
  let handed = 0;

  for await (const batch of readAhead(source, options.readAhead ?? 2)) {
    ctx.checkAborted();
    metrics.batches++;
    metrics.rowsRead += batch.rows.length + batch.rejected.length;
    metrics.bytesRead += batch.bytes;
    if (batch.cursor) ctx.cursors.last = batch.cursor;
    await ctx.fault('after-extract-batch', metrics.batches);

    const quarantined: RowFailure[] = [];
    const settle = (failures: RowFailure[], policy: 'fail' | 'quarantine', what: string): void => {
      if (failures.length === 0) return;
      if (policy === 'fail') {
        throw new DataQualityError(
          `${failures.length} row(s) of batch ${metrics.batches} ${what}`,
          failures.slice(0, maxReported),
        );
      }
      quarantined.push(...failures);
    };

    settle(
      batch.rejected.map((r) => ({
        position: r.position,
        reason: `source: ${r.reason}`,
        row: { raw: r.raw },
        stage: 'source',
      })),
      ctx.transformPolicy,
      'could not be read',
    );

    let rows: Row[] = batch.rows;
    let positions: string[] = batch.positions;
    if (tracker) {
      const fresh = tracker.filterNew(rows, positions);
      metrics.rowsAlreadyLoaded += fresh.skipped;
      tracker.advance(batch.rows);
      rows = fresh.rows;
      positions = fresh.positions;
    }

    for (let s = 0; s < stages.length && rows.length > 0; s++) {
      const stage = stages[s];
      if (stage.kind === 'transform') {
        if (stage.pipeline.identity) continue;
        const out = stage.pipeline.apply(rows, positions);
        metrics.rowsFiltered += out.filtered;
        metrics.rowsDuplicate += out.duplicates;
        settle(out.failures, ctx.transformPolicy, 'failed a transform');
        rows = out.rows;
        positions = out.positions;
      } else {
        const out = stage.validator.check(rows, positions);
        settle(out.failures, stage.onFailure, 'broke a validation rule');
        rows = out.rows;
        positions = out.positions;
        passedPerStage[s] += rows.length;
      }
    }

    if (quarantined.length > 0) {
      await options.quarantine!.write(quarantined.map((f) => toRecord(options, f)));
      metrics.rowsQuarantined += quarantined.length;
    }

    ctx.onBatch();
    if (rows.length === 0) continue;
    metrics.rowsToLoad += rows.length;
    yield { rows, positions, rejected: [], bytes: batch.bytes };
    handed++;
    await ctx.fault('mid-load', handed);
  }

  // End-of-run rules: before the stream ends, so a failure still aborts the load's transaction.
  const wrong: string[] = [];
  stages.forEach((stage, s) => {
    if (stage.kind === 'validate') wrong.push(...stage.validator.finish(passedPerStage[s]));
  });
  if (wrong.length > 0) throw new DataQualityError(wrong.join('; '), []);
}

function toRecord(options: RunTaskOptions, failure: RowFailure): QuarantineRecord {
  return {
    runId: options.runId,
    taskId: options.taskId,
    position: failure.position,
    reason: failure.reason,
    row: jsonSafe(failure.row) as Record<string, unknown>,
    stage: failure.stage,
  };
}

/**
 * The load's transaction, from the first COPY to the commit, as one span: it
 * ends when the rows are committed, so a trace that starts at a request ends
 * here.
 */
function inLoadSpan<T extends WriteResult | PassThroughFallback>(
  options: RunTaskOptions,
  mode: string,
  path: TaskPath['kind'],
  write: () => Promise<T>,
): Promise<T> {
  const attributes = {
    'aoe.run.id': options.runId,
    'aoe.task.id': options.taskId,
    'aoe.load.mode': mode,
    'aoe.load.path': path,
  };
  return inSpan(`load commit ${options.taskId}`, { attributes }, async (span) => {
    const result = await write();
    if (isPassThroughFallback(result)) span.setAttribute('aoe.load.fallback', result.reason);
    else span.setAttributes({ 'aoe.load.rows_written': result.rowsWritten, 'aoe.load.location': result.location });
    return result;
  });
}
