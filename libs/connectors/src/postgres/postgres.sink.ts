import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadMode, PostgresConnection } from '@aoe/contracts';
import type { Batch, CheckResult, ColumnSchema, CursorState, SinkConnector, WriteOptions } from '../connector';
import { ConnectorError } from '../connector-error';
import { PassThroughRejected, type PassThroughFallback, type PassThroughReader } from '../pass-through';
import type { StagedTransform, StagedWriteAttempt, StagedWriteResult, TypedCopyRefused } from '../staged-transform';
import { fieldEncoder } from './copy-text';
import type { FaultHook, FaultPoint } from './faults';
import {
  claimLoad,
  ensureLedgerTables,
  findLoad,
  readCheckpoint,
  recordLoadRows,
  writeCheckpoint,
} from './load-ledger';
import { readRelation, schemaExists, type CatalogRelation } from './pg-catalog';
import { connectionFactoryFor, type PgConnectionFactory, type PgSession } from './pg-connection';
import { toConnectorError, type ErrorContext } from './pg-errors';
import { assertIdentifierFits, qualifiedName, quoteIdent, stagingTableName } from './pg-identifiers';
import { pgTypeFor } from './pg-types';
import { columnReader } from './row-access';
import { planSchemaChange, schemaChangeStatements } from './schema-evolution';
import { checkReaderFields, fieldChecker } from './field-checker';
import { judgeStaged, stagedProblem, stagedSqlSpec, textColumn } from './staged-load';
import { onConflictSql, publishSql, SEQUENCE_COLUMN } from './staged-sql';
import type { LoadOutcome, LoadPlan, PostgresWriteResult } from './load-plan';
import { copyStreamsFrom, loadTypedCopy, typedCopyProblem, type TypedCopyOutcome } from './typed-copy';
import { sqlCastFor } from './sql-casts';
import {
  CopyStagingWriter,
  openCopyStream,
  type CopyDataStream,
  type StagingColumn,
  type StagingWriter,
} from './staging-writer';

/** A PostgreSQL target: the contract's `{ kind: 'postgres', connection, table }`, or a table on a given factory. */
export interface PostgresSinkTarget {
  kind?: 'postgres' | 'warehouse';
  connection?: PostgresConnection;
  table: { schema?: string; name: string };
}

export interface PostgresSinkOptions {
  /** Where sessions come from; by default a connection per load, made from `target.connection`. */
  connectionFactory?: PgConnectionFactory;
  /** How rows reach the staging table; COPY FROM STDIN by default. */
  stagingWriter?: StagingWriter;
  /** Fault injection for tests and benchmarks; off by default. */
  faults?: FaultHook;
  /** Schema of `_aoe_loads` and `_aoe_checkpoints`; the target table's schema by default. */
  ledgerSchema?: string;
  /** How long a load waits for another attempt of the same run and task to finish (ms). */
  lockTimeoutMs?: number;
  /**
   * `append` over COPY goes straight into the target inside the publishing
   * transaction (one pass instead of COPY to staging plus INSERT … SELECT).
   * Default true; false always stages.
   */
  directAppend?: boolean;
  /**
   * The set-based path may load a target that does not exist yet by typed
   * COPY (parallel COPY sessions straight into the typed table). Default true.
   */
  typedCopy?: boolean;
  /** COPY sessions of a typed COPY; default `AOE_PG_COPY_STREAMS` or 2. */
  copyStreams?: number;
}

/**
 * Loads batches into a PostgreSQL table exactly once: rows go to an UNLOGGED
 * staging table, then one transaction evolves the target, publishes
 * (append, replace or merge), records the load in `_aoe_loads` and writes the
 * incremental checkpoint. A retried run with the same runId finds its load
 * recorded and writes nothing.
 */
export class PostgresSink implements SinkConnector {
  readonly kind: 'postgres' | 'warehouse';
  private readonly factory: PgConnectionFactory;
  private readonly table: { schema: string; name: string };
  private readonly ledgerSchema: string;
  private readonly writer: StagingWriter;

  constructor(
    target: PostgresSinkTarget,
    private readonly options: PostgresSinkOptions = {},
  ) {
    this.kind = target.kind ?? 'postgres';
    this.factory = connectionFactoryFor(target.connection, options.connectionFactory);
    this.table = { schema: target.table.schema ?? 'public', name: target.table.name };
    this.ledgerSchema = options.ledgerSchema ?? this.table.schema;
    this.writer = options.stagingWriter ?? new CopyStagingWriter();
  }

  /** `postgres://host:port/db#schema.table` */
  get location(): string {
    return `${this.factory.location}#${this.table.schema}.${this.table.name}`;
  }

  private get errorContext(): ErrorContext {
    return { location: this.factory.location, secrets: this.factory.secrets };
  }

  async check(): Promise<CheckResult> {
    let session: PgSession | undefined;
    try {
      session = await this.factory.connect();
      const exists = await schemaExists(session, this.table.schema);
      const result = await session.query<{ ok: boolean }>(
        exists
          ? `SELECT has_schema_privilege($1, 'CREATE') AND has_schema_privilege($1, 'USAGE') AS ok`
          : `SELECT has_database_privilege(current_database(), 'CREATE') AS ok`,
        exists ? [this.table.schema] : [],
      );
      if (!result.rows[0]?.ok) {
        return {
          ok: false,
          message: exists
            ? `the user may not create tables in schema "${this.table.schema}"`
            : `schema "${this.table.schema}" does not exist and the user may not create it`,
        };
      }
      return { ok: true };
    } catch (error) {
      return { ok: false, message: toConnectorError(error, this.errorContext).message };
    } finally {
      await session?.release();
    }
  }

  /** The incremental state committed with this target's data. */
  async readCheckpoint(pipelineId: string, stream: string): Promise<CursorState | undefined> {
    const session = await this.factory.connect();
    try {
      return await readCheckpoint(session, this.ledgerSchema, pipelineId, stream);
    } catch (error) {
      throw toConnectorError(error, this.errorContext);
    } finally {
      await session.release();
    }
  }

  async close(): Promise<void> {
    await this.factory.close();
  }

  async write(batches: AsyncIterable<Batch>, options: WriteOptions): Promise<PostgresWriteResult> {
    const plan = this.plan(options);
    const session = await this.factory.connect();
    const lock = `aoe-stage:${plan.staging}`;
    let locked = false;
    let broken = false;
    try {
      locked = await this.lockAttempt(session, lock, options);
      await this.ensureSchema(session, this.table.schema);
      if (this.ledgerSchema !== this.table.schema) await this.ensureSchema(session, this.ledgerSchema);
      await ensureLedgerTables(session, this.ledgerSchema);
      const previous = await findLoad(session, this.ledgerSchema, plan.key);
      if (previous) {
        await closeUnread(batches);
        return this.result(previous.rows, 0, true);
      }
      if (this.copiesDirect(session, options)) {
        const fault = this.faultCaller(session, plan, options);
        const direct = await this.loadDirect(session, plan, options, fault, async (stream) => {
          let rows = 0;
          let bytes = 0;
          for await (const batch of batches) {
            options.signal?.throwIfAborted();
            if (batch.rows.length === 0) continue;
            bytes += await stream.write(batch.rows);
            rows += batch.rows.length;
            await fault('mid-copy', rows);
          }
          return { rows, bytes };
        });
        if (direct.kind === 'committed') return direct.result;
        // Another attempt committed this load between findLoad and the claim: the batches go unread.
        await closeUnread(batches);
        return await this.alreadyPublished(session, plan);
      }

      const relation = await readRelation(session, plan.table);
      const change = planSchemaChange(relation?.columns, plan.columns, options.schemaEvolution, plan.target);
      if (options.mode === 'merge') assertMergeKey(plan, relation);
      const columns = stagingColumns(plan.columns, relation, new Set(change.retype.map((r) => r.name)));
      await session.query(`DROP TABLE IF EXISTS ${plan.staging}`);
      await session.query(
        `CREATE UNLOGGED TABLE ${plan.staging} (${[
          ...columns.map((c) => `${c.staged} ${c.type}`),
          ...(options.mode === 'merge' ? [`${quoteIdent(SEQUENCE_COLUMN)} bigint GENERATED ALWAYS AS IDENTITY`] : []),
        ].join(', ')})`,
      );
      const fault = this.faultCaller(session, plan, options);
      await fault('before-copy', 0);
      const copied = await this.copy(session, plan, columns, batches, options, fault);
      const state = options.checkpoint?.state();
      const published = await this.publish(session, plan, columns, options, state, () =>
        fault('before-commit', copied.rows),
      );
      if (published === undefined) {
        const record = await findLoad(session, this.ledgerSchema, plan.key);
        return this.result(record?.rows ?? 0, 0, true);
      }
      await fault('after-commit', copied.rows);
      return this.result(published, copied.bytes, false);
    } catch (error) {
      // Only the holder of the attempt lock may touch the staging table: without it, it belongs to another attempt.
      broken = !(await this.dropStaging(session, locked ? plan.staging : undefined));
      throw toConnectorError(error, this.errorContext);
    } finally {
      if (locked && !broken) {
        await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]).catch(() => (broken = true));
      }
      await session.release(broken);
    }
  }

  /**
   * The pass-through fast path: `reader`'s bytes (CSV, or COPY text) go to
   * `COPY … FROM STDIN` as they are, inside the publishing transaction
   * (straight into the target for `append`, through the staging table for
   * `replace` and `merge`), with the same ledger claim, checkpoint and fault
   * points as `write()`. Returns a fallback, with nothing committed, when the
   * data cannot go through verbatim: the reader refused it, the server
   * rejected a value (SQLSTATE class 22 or 23), the server's row count
   * differs from the reader's, or the target's columns would take the
   * values differently than the row path does.
   */
  async writePassThrough(
    reader: PassThroughReader,
    options: WriteOptions,
  ): Promise<PostgresWriteResult | PassThroughFallback> {
    return this.loadBytes(reader, options);
  }

  /** Why the set-based path cannot cast to these types here; undefined when it can. */
  cannotStage(transform: Pick<StagedTransform, 'casts'>): string | undefined {
    for (const cast of transform.casts) {
      if (!sqlCastFor(cast.to)) return `casts to ${cast.to} are not done in SQL`;
    }
    return undefined;
  }

  /**
   * The set-based path: the reader's raw text is COPYed into an UNLOGGED
   * staging table of text columns, the rows SQL cannot vouch for are judged
   * by `transform`, and one statement casts, dedupes, leaves out the rejected
   * rows and publishes, in the load's one transaction (ledger and checkpoint
   * as `write()`). A fallback, with nothing committed, when the data or the
   * target does not fit (as `writePassThrough`, or a value only the row path
   * converts).
   */
  async writeStaged(
    reader: PassThroughReader,
    options: WriteOptions,
    transform: StagedTransform,
    attempt: StagedWriteAttempt = {},
  ): Promise<(PostgresWriteResult & StagedWriteResult) | PassThroughFallback | TypedCopyRefused> {
    return this.loadBytes(reader, options, transform, attempt);
  }

  private async loadBytes(
    reader: PassThroughReader,
    options: WriteOptions,
    transform?: StagedTransform,
    attempt: StagedWriteAttempt = {},
  ): Promise<(PostgresWriteResult & StagedWriteResult) | PassThroughFallback | TypedCopyRefused> {
    let plan: LoadPlan;
    let session: PgSession;
    try {
      plan = this.plan(options);
      const names = plan.columns.map((c) => c.name);
      if (names.length !== reader.columns.length || names.some((n, i) => n !== reader.columns[i])) {
        await reader.close();
        return { fallback: true, reason: 'the data does not carry the load columns in order' };
      }
      session = await this.factory.connect();
    } catch (error) {
      await reader.close();
      throw toConnectorError(error, this.errorContext);
    }
    const lock = `aoe-stage:${plan.staging}`;
    let locked = false;
    let broken = false;
    try {
      if (!session.copyFrom) return { fallback: true, reason: 'this database session has no COPY FROM STDIN' };
      locked = await this.lockAttempt(session, lock, options);
      await this.ensureSchema(session, this.table.schema);
      if (this.ledgerSchema !== this.table.schema) await this.ensureSchema(session, this.ledgerSchema);
      await ensureLedgerTables(session, this.ledgerSchema);
      const previous = await findLoad(session, this.ledgerSchema, plan.key);
      if (previous) return { ...this.result(previous.rows, 0, true), rowsToLoad: 0 };
      const fault = this.faultCaller(session, plan, options);
      const copyRaw = async (stream: CopyDataStream) => {
        let bytes = 0;
        for await (const chunk of reader.chunks()) {
          options.signal?.throwIfAborted();
          bytes += await stream.writeBytes(chunk);
          await fault('mid-copy', reader.rows);
        }
        return { rows: reader.rows, bytes };
      };
      const typed =
        transform && attempt.typedCopy !== false
          ? await this.loadTyped(session, plan, options, fault, reader, transform)
          : undefined;
      if (typed?.kind === 'refused') return { fallback: true, reason: typed.reason, typedCopyRefused: true };
      const outcome =
        typed ??
        (options.mode === 'append' && !transform
          ? await this.loadDirect(session, plan, options, fault, copyRaw, reader)
          : await this.loadStaged(session, plan, options, fault, copyRaw, reader, transform));
      if (outcome.kind === 'fallback') return { fallback: true, reason: outcome.reason };
      if (outcome.kind === 'claimed-elsewhere')
        return { ...(await this.alreadyPublished(session, plan)), rowsToLoad: 0 };
      return { rowsToLoad: outcome.result.rowsWritten, ...outcome.result };
    } catch (error) {
      broken = !(await this.dropStaging(session, locked ? plan.staging : undefined));
      const reason = fallbackReason(error);
      if (reason !== undefined && !options.signal?.aborted) return { fallback: true, reason };
      throw toConnectorError(error, this.errorContext);
    } finally {
      await reader.close();
      if (locked && !broken) {
        await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]).catch(() => (broken = true));
      }
      await session.release(broken);
    }
  }

  /** The typed COPY into a target that does not exist yet, or a merge into one that fits; undefined when this load cannot take it. */
  private async loadTyped(
    session: PgSession,
    plan: LoadPlan,
    options: WriteOptions,
    fault: (point: FaultPoint, rows: number) => Promise<void>,
    reader: PassThroughReader,
    transform: StagedTransform,
  ): Promise<TypedCopyOutcome | undefined> {
    if (this.kind !== 'postgres' || this.options.typedCopy === false) return undefined;
    const relation = await readRelation(session, plan.table);
    const problem =
      typedCopyProblem(relation, reader, plan, options) ??
      passThroughProblem(plan.columns, relation, new Set(), reader.valuesAreText) ??
      stagedProblem(plan.columns, relation, new Set(), transform, reader);
    if (problem) return undefined;
    return loadTypedCopy({
      factory: this.factory,
      session,
      plan,
      options,
      reader,
      transform,
      ledgerSchema: this.ledgerSchema,
      streams: this.options.copyStreams ?? copyStreamsFrom(),
      fault,
      location: this.location,
      merging: relation,
    });
  }

  /** Whether `write()` can COPY straight into the target. */
  private copiesDirect(session: PgSession, options: WriteOptions): boolean {
    return (
      options.mode === 'append' &&
      this.options.directAppend !== false &&
      this.writer instanceof CopyStagingWriter &&
      typeof session.copyFrom === 'function'
    );
  }

  private async alreadyPublished(session: PgSession, plan: LoadPlan): Promise<PostgresWriteResult> {
    const record = await findLoad(session, this.ledgerSchema, plan.key);
    return this.result(record?.rows ?? 0, 0, true);
  }

  /**
   * One transaction: claim the load, create or evolve the target, COPY into
   * it, write the checkpoint and the row count, commit. A crash anywhere rolls
   * all of it back.
   */
  private async loadDirect(
    session: PgSession,
    plan: LoadPlan,
    options: WriteOptions,
    fault: (point: FaultPoint, rows: number) => Promise<void>,
    copy: (stream: CopyDataStream) => Promise<{ rows: number; bytes: number }>,
    reader?: PassThroughReader,
  ): Promise<LoadOutcome> {
    await session.query('BEGIN');
    let stream: CopyDataStream | undefined;
    try {
      await session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`aoe-table:${plan.key.table}`]);
      if (!(await claimLoad(session, this.ledgerSchema, plan.key, options.mode))) {
        await session.query('ROLLBACK');
        return { kind: 'claimed-elsewhere' };
      }
      const relation = await readRelation(session, plan.table);
      const change = planSchemaChange(relation?.columns, plan.columns, options.schemaEvolution, plan.target);
      const retyped = new Set(change.retype.map((r) => r.name));
      const columns = stagingColumns(plan.columns, relation, retyped).map((c) => ({
        ...c,
        staged: quoteIdent(c.source),
      }));
      if (reader) {
        const problem = passThroughProblem(plan.columns, relation, retyped, reader.valuesAreText);
        if (problem) {
          await session.query('ROLLBACK');
          return { kind: 'fallback', reason: problem };
        }
      }
      for (const statement of schemaChangeStatements(plan.target, change, undefined)) await session.query(statement);
      await fault('before-copy', 0);
      stream = openCopyStream(session, copySql(plan.target, columns, reader), columns);
      const copied = await copy(stream);
      await stream.finish();
      checkServerCount(stream, copied.rows, reader);
      stream = undefined;
      const state = options.checkpoint?.state();
      if (state && options.checkpoint) {
        await writeCheckpoint(
          session,
          this.ledgerSchema,
          options.checkpoint.pipelineId,
          options.checkpoint.stream,
          state,
        );
      }
      await recordLoadRows(session, this.ledgerSchema, plan.key, copied.rows);
      await fault('before-commit', copied.rows);
      // A load stopped while it was being written commits nothing, however far it got.
      options.signal?.throwIfAborted();
      await session.query('COMMIT');
      await fault('after-commit', copied.rows);
      return { kind: 'committed', result: this.result(copied.rows, copied.bytes, false) };
    } catch (error) {
      await stream?.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** `replace` and `merge` on the pass-through path: raw COPY into the staging table, then the usual publish. */
  private async loadStaged(
    session: PgSession,
    plan: LoadPlan,
    options: WriteOptions,
    fault: (point: FaultPoint, rows: number) => Promise<void>,
    copy: (stream: CopyDataStream) => Promise<{ rows: number; bytes: number }>,
    reader: PassThroughReader,
    transform?: StagedTransform,
  ): Promise<LoadOutcome> {
    const relation = await readRelation(session, plan.table);
    const change = planSchemaChange(relation?.columns, plan.columns, options.schemaEvolution, plan.target);
    if (options.mode === 'merge') assertMergeKey(plan, relation);
    const retyped = new Set(change.retype.map((r) => r.name));
    const problem =
      passThroughProblem(plan.columns, relation, retyped, reader.valuesAreText) ??
      (transform ? stagedProblem(plan.columns, relation, retyped, transform, reader) : undefined);
    if (problem) return { kind: 'fallback', reason: problem };
    const columns = transform
      ? plan.columns.map((column, index) => ({ ...textColumn(column, index), type: 'text' }))
      : stagingColumns(plan.columns, relation, retyped);
    await session.query(`DROP TABLE IF EXISTS ${plan.staging}`);
    await session.query(
      `CREATE UNLOGGED TABLE ${plan.staging} (${[
        ...columns.map((c) => `${c.staged} ${c.type}`),
        ...(options.mode === 'merge' || transform
          ? [`${quoteIdent(SEQUENCE_COLUMN)} bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000)`]
          : []),
      ].join(', ')})`,
    );
    await fault('before-copy', 0);
    const checker =
      transform && reader.format.kind === 'csv'
        ? checkReaderFields(reader, fieldChecker(plan.columns, transform, reader.format))
        : undefined;
    const stream = openCopyStream(session, copySql(plan.staging, columns, reader), columns);
    let copied: { rows: number; bytes: number };
    try {
      copied = await copy(stream);
      await stream.finish();
      checkServerCount(stream, copied.rows, reader);
    } catch (error) {
      await stream.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    let publishRows: ((session: PgSession) => Promise<number>) | undefined;
    let rowsToLoad = copied.rows;
    if (transform) {
      const sql = stagedSqlSpec(plan, options, transform, relation, retyped);
      const judged = await judgeStaged(session, sql, transform, reader, checker!);
      if ('fallback' in judged) {
        await session.query(`DROP TABLE IF EXISTS ${plan.staging}`);
        return { kind: 'fallback', reason: judged.fallback };
      }
      publishRows = async (tx) => {
        if (options.mode === 'replace') await tx.query(`TRUNCATE ${plan.target}`);
        // Offset-less timestamps are UTC (as castValue reads them); DISTINCT ON sorts in memory.
        await tx.query(`SET LOCAL TimeZone = 'UTC'`);
        await tx.query(`SET LOCAL work_mem = '256MB'`);
        const statement = publishSql(sql, judged.castRejected, judged.rulesRejected);
        const result = await tx.query<{ written: string; to_load: string }>(statement.text, statement.params);
        const written = statement.counts === 'row-count' ? result.rowCount : Number(result.rows[0].written);
        rowsToLoad = statement.counts === 'row-count' ? result.rowCount : Number(result.rows[0].to_load);
        transform.finish(rowsToLoad);
        return written;
      };
    }
    const state = options.checkpoint?.state();
    const published = await this.publish(
      session,
      plan,
      columns,
      options,
      state,
      () => fault('before-commit', copied.rows),
      publishRows,
    );
    if (published === undefined) return { kind: 'claimed-elsewhere' };
    await fault('after-commit', copied.rows);
    return { kind: 'committed', result: { ...this.result(published, copied.bytes, false), rowsToLoad } };
  }

  private result(rowsWritten: number, bytesWritten: number, alreadyCommitted: boolean): PostgresWriteResult {
    return { rowsWritten, bytesWritten, location: this.location, alreadyCommitted };
  }

  private plan(options: WriteOptions): LoadPlan {
    const columns = options.schema.columns;
    if (columns.length === 0) throw new ConnectorError('bug', `a load into ${this.table.name} has no columns`);
    assertIdentifierFits(this.table.name, 'table name');
    assertIdentifierFits(this.table.schema, 'schema name');
    const seen = new Set<string>();
    for (const column of columns) {
      assertIdentifierFits(column.name, 'column name');
      if (seen.has(column.name)) throw new ConnectorError('bug', `column "${column.name}" appears twice in the data`);
      seen.add(column.name);
    }
    const primaryKey = options.primaryKey ?? options.schema.primaryKey;
    if (options.mode === 'merge') {
      if (!primaryKey || primaryKey.length === 0) {
        throw new ConnectorError('bug', `a merge into ${this.table.name} needs a primary key`);
      }
      const missing = primaryKey.filter((k) => !seen.has(k));
      if (missing.length > 0) {
        throw new ConnectorError(
          'bug',
          `merge key column(s) ${missing.map((m) => `"${m}"`).join(', ')} not in the data`,
        );
      }
    }
    const stagingName = stagingTableName(options.runId, options.taskId, this.table);
    return {
      table: this.table,
      target: qualifiedName(this.table.schema, this.table.name),
      staging: qualifiedName(this.table.schema, stagingName),
      stagingName,
      // Quoted, so `a.b`.`c` and `a`.`b.c` stay two tables.
      key: { runId: options.runId, taskId: options.taskId, table: qualifiedName(this.table.schema, this.table.name) },
      columns,
      primaryKey,
    };
  }

  /**
   * Only one attempt of a (run, task, table) loads at a time: a retry waits for
   * a stalled earlier attempt (whose session lock dies with its connection)
   * instead of dropping the staging table under it.
   */
  private async lockAttempt(session: PgSession, lock: string, options: WriteOptions): Promise<boolean> {
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 120_000);
    for (;;) {
      const result = await session.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [lock],
      );
      if (result.rows[0]?.ok) return true;
      options.signal?.throwIfAborted();
      if (Date.now() > deadline) {
        throw new ConnectorError(
          'timeout',
          `another attempt of run ${options.runId} task ${options.taskId} is still loading ${this.table.schema}.${this.table.name}`,
        );
      }
      await sleep(200);
    }
  }

  private async ensureSchema(session: PgSession, schema: string): Promise<void> {
    if (await schemaExists(session, schema)) return;
    try {
      await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    } catch (error) {
      // A concurrent load created it first.
      if (!(await schemaExists(session, schema))) throw error;
    }
  }

  private faultCaller(session: PgSession, plan: LoadPlan, options: WriteOptions) {
    const hook = this.options.faults;
    return async (point: FaultPoint, rowsCopied: number): Promise<void> => {
      if (!hook) return;
      await hook({
        point,
        runId: options.runId,
        taskId: options.taskId,
        table: plan.target,
        rowsCopied,
        killConnection: async () => {
          if (!session.terminate) throw new ConnectorError('bug', 'this database session cannot be terminated');
          await session.terminate();
        },
      });
    };
  }

  private async copy(
    session: PgSession,
    plan: LoadPlan,
    columns: readonly StagingColumn[],
    batches: AsyncIterable<Batch>,
    options: WriteOptions,
    fault: (point: FaultPoint, rows: number) => Promise<void>,
  ): Promise<{ rows: number; bytes: number }> {
    const stream = await this.writer.open(session, plan.staging, columns);
    let rows = 0;
    let bytes = 0;
    try {
      for await (const batch of batches) {
        options.signal?.throwIfAborted();
        if (batch.rows.length === 0) continue;
        bytes += await stream.write(batch.rows);
        rows += batch.rows.length;
        await fault('mid-copy', rows);
      }
      await stream.finish();
    } catch (error) {
      await stream.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    return { rows, bytes };
  }

  /** The one transaction that makes a load visible; undefined when the load had been published already. */
  private async publish(
    session: PgSession,
    plan: LoadPlan,
    columns: readonly StagingColumn[],
    options: WriteOptions,
    state: CursorState | undefined,
    beforeCommit: () => Promise<void>,
    rows: (session: PgSession) => Promise<number> = (tx) => this.publishRows(tx, plan, columns, options.mode),
  ): Promise<number | undefined> {
    await session.query('BEGIN');
    try {
      // Publishes into one table take turns, so creating and evolving it cannot race.
      await session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`aoe-table:${plan.key.table}`]);
      if (!(await claimLoad(session, this.ledgerSchema, plan.key, options.mode))) {
        await session.query('ROLLBACK');
        await session.query(`DROP TABLE IF EXISTS ${plan.staging}`);
        return undefined;
      }
      const relation = await readRelation(session, plan.table);
      const change = planSchemaChange(relation?.columns, plan.columns, options.schemaEvolution, plan.target);
      const createKey = options.mode === 'merge' ? plan.primaryKey : undefined;
      for (const statement of schemaChangeStatements(plan.target, change, createKey)) await session.query(statement);
      const written = await rows(session);
      if (state && options.checkpoint) {
        await writeCheckpoint(
          session,
          this.ledgerSchema,
          options.checkpoint.pipelineId,
          options.checkpoint.stream,
          state,
        );
      }
      await recordLoadRows(session, this.ledgerSchema, plan.key, written);
      await session.query(`DROP TABLE ${plan.staging}`);
      await beforeCommit();
      // A load stopped while it was being written commits nothing, however far it got.
      options.signal?.throwIfAborted();
      await session.query('COMMIT');
      return written;
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async publishRows(
    session: PgSession,
    plan: LoadPlan,
    columns: readonly StagingColumn[],
    mode: LoadMode,
  ): Promise<number> {
    const targetColumns = plan.columns.map((c) => quoteIdent(c.name)).join(', ');
    const staged = columns.map((c) => c.staged).join(', ');
    const insert = `INSERT INTO ${plan.target} (${targetColumns}) SELECT ${staged} FROM ${plan.staging}`;
    switch (mode) {
      case 'append':
        return (await session.query(insert)).rowCount;
      case 'replace':
        await session.query(`TRUNCATE ${plan.target}`);
        return (await session.query(insert)).rowCount;
      case 'merge': {
        const keys = plan.primaryKey!;
        const stagedKey = keys.map((k) => columns[plan.columns.findIndex((c) => c.name === k)].staged).join(', ');
        const sql =
          `INSERT INTO ${plan.target} (${targetColumns}) ` +
          `SELECT DISTINCT ON (${stagedKey}) ${staged} FROM ${plan.staging} ` +
          `ORDER BY ${stagedKey}, ${quoteIdent(SEQUENCE_COLUMN)} DESC ` +
          onConflictSql(
            keys,
            plan.columns.map((c) => c.name),
          );
        return (await session.query(sql)).rowCount;
      }
    }
  }

  /** Best effort after a failure; false when the session is unusable. */
  private async dropStaging(session: PgSession, staging: string | undefined): Promise<boolean> {
    try {
      await session.query('ROLLBACK');
      if (staging) await session.query(`DROP TABLE IF EXISTS ${staging}`);
      return true;
    } catch {
      return false;
    }
  }
}

interface TypedStagingColumn extends StagingColumn {
  /** The staging column's SQL type. */
  type: string;
}

/**
 * Staging columns are positional (`c0`, `c1`, …) so any source name fits;
 * each takes the target column's own type when the target keeps it, so values
 * are parsed once, as the target will store them.
 */
function stagingColumns(
  incoming: readonly ColumnSchema[],
  relation: CatalogRelation | undefined,
  retyped: ReadonlySet<string>,
): TypedStagingColumn[] {
  const existing = new Map((relation?.columns ?? []).map((c) => [c.name, c]));
  return incoming.map((column, index) => {
    const current = retyped.has(column.name) ? undefined : existing.get(column.name);
    return {
      staged: quoteIdent(`c${index}`),
      source: column.name,
      type: current ? current.declared : pgTypeFor(column.type),
      read: columnReader(column.name),
      encode: fieldEncoder(current ? current.logical : column.type),
    };
  });
}

function assertMergeKey(plan: LoadPlan, relation: CatalogRelation | undefined): void {
  if (!relation) return;
  const key = [...plan.primaryKey!].sort();
  const matches = relation.uniqueKeys.some(
    (k) => k.length === key.length && [...k].sort().every((c, i) => c === key[i]),
  );
  if (!matches) {
    throw new ConnectorError(
      'schema-drift',
      `a merge into ${plan.target} needs a PRIMARY KEY or UNIQUE constraint on (${plan.primaryKey!.map((k) => `"${k}"`).join(', ')})`,
    );
  }
}

/** Lets the producer of batches that will not be read release what it holds (a source's connection). */
async function closeUnread(batches: AsyncIterable<Batch>): Promise<void> {
  try {
    await batches[Symbol.asyncIterator]().return?.();
  } catch {
    // The producer's own failure to stop does not change the load's outcome.
  }
}

/** `COPY table (columns) FROM STDIN`, with the reader's format options when it is a pass-through. */
function copySql(table: string, columns: readonly StagingColumn[], reader?: PassThroughReader): string {
  const base = `COPY ${table} (${columns.map((c) => c.staged).join(', ')}) FROM STDIN`;
  if (!reader || reader.format.kind === 'text') return base;
  // The delimiter is one character; as a hex escape it cannot break out of the literal.
  const hex = Buffer.from(reader.format.delimiter, 'utf8').toString('hex');
  return `${base} (FORMAT csv, HEADER ${reader.format.header ? 'true' : 'false'}, DELIMITER E'\\x${hex}')`;
}

/** The server's count must be the reader's: if they disagree, the bytes were not read as the reader thought. */
function checkServerCount(stream: CopyDataStream, rows: number, reader: PassThroughReader | undefined): void {
  if (!reader) return;
  const server = stream.serverRowCount;
  if (server !== undefined && server !== rows) {
    throw new PassThroughRejected(`the server read ${server} rows where the reader counted ${rows}`);
  }
}

/**
 * Why verbatim bytes would land differently than the row path's values, if
 * they would: JSON columns (the row path turns non-JSON text into JSON
 * strings), and, for typed sources, a target column of another logical type
 * (the row path formats the value for it).
 */
function passThroughProblem(
  incoming: readonly ColumnSchema[],
  relation: CatalogRelation | undefined,
  retyped: ReadonlySet<string>,
  valuesAreText: boolean,
): string | undefined {
  const existing = new Map((relation?.columns ?? []).map((c) => [c.name, c]));
  for (const column of incoming) {
    const current = retyped.has(column.name) ? undefined : existing.get(column.name);
    const logical = current ? current.logical : column.type;
    if (logical === 'json') return `column "${column.name}" is JSON`;
    if (!valuesAreText && current && current.logical !== column.type) {
      return `column "${column.name}" is ${current.logical} in the target but ${column.type} in the data`;
    }
  }
  return undefined;
}

/** Why a failed pass-through should run the row path instead; undefined when it is a real failure. */
function fallbackReason(error: unknown): string | undefined {
  if (error instanceof PassThroughRejected) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'))) {
    return `the server rejected the data (${code}): ${(error as Error).message}`;
  }
  return undefined;
}
