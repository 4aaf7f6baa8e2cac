/*
 * The typed COPY (docs/engine.md, "Set-based path"): when the set-based path
 * loads a CSV into a table that does not exist yet, the bytes go straight
 * into a new table with the target's column types, over several COPY
 * sessions at once (the server parses in one process per session), while the
 * strict field checks vouch for every value: each one a typed column takes
 * exactly as the staged path's SQL cast would. The keys are proved by
 * building the target's primary key (and a unique index on the dedupe key),
 * then one short transaction renames the table into place with the ledger
 * row and the checkpoint. A merge into a target that exists with exactly the
 * load's columns and types does the same into a staging table of those
 * types, then upserts from it the rows that are new or differ (no casts, no
 * dedupe: the key was proved). Anything in doubt — a value, a duplicate or
 * missing key, a target created or changed meanwhile — refuses the typed COPY
 * before anything is published, and the staged path loads from a fresh reader.
 */
import type { WriteOptions } from '../connector';
import { ConnectorError } from '../connector-error';
import { PassThroughRejected, type PassThroughReader } from '../pass-through';
import type { StagedTransform } from '../staged-transform';
import type { CsvFieldChecker } from '../formats/csv-field-checks';
import { checkReaderFields, fieldChecker } from './field-checker';
import type { FaultPoint } from './faults';
import { claimLoad, recordLoadRows, writeCheckpoint } from './load-ledger';
import type { LoadOutcome, LoadPlan } from './load-plan';
import { readRelation, type CatalogRelation } from './pg-catalog';
import type { PgConnectionFactory, PgSession } from './pg-connection';
import { qualifiedName, quoteIdent } from './pg-identifiers';
import { planSchemaChange, schemaChangeStatements } from './schema-evolution';
import { pgTypeFor } from './pg-types';
import { changedRowsSql, onConflictSql } from './staged-sql';
import { openCopyStream, type CopyDataStream, type StagingColumn } from './staging-writer';
import { comparisonOf, textColumn } from './staged-load';

export interface TypedCopyContext {
  factory: PgConnectionFactory;
  /** Holds the attempt lock; runs the first COPY, the key proofs and the publish. */
  session: PgSession;
  plan: LoadPlan;
  options: WriteOptions;
  reader: PassThroughReader;
  transform: StagedTransform;
  ledgerSchema: string;
  /** COPY sessions at once (the first is `session`). */
  streams: number;
  fault: (point: FaultPoint, rows: number) => Promise<void>;
  /** The sink's location, for the result. */
  location: string;
  /** The existing target a merge goes into (typedMergeProblem found none); undefined: a new table. */
  merging?: CatalogRelation;
}

const DEFAULT_COPY_STREAMS = 2;

/** COPY sessions a typed COPY runs at once: `AOE_PG_COPY_STREAMS`, 2 by default (1 to 8). */
export function copyStreamsFrom(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.AOE_PG_COPY_STREAMS;
  if (text === undefined || text === '') return DEFAULT_COPY_STREAMS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 8) {
    throw new ConnectorError('bug', `AOE_PG_COPY_STREAMS must be a whole number from 1 to 8, not ${text}`);
  }
  return value;
}

export type TypedCopyOutcome = LoadOutcome | { kind: 'refused'; reason: string };

/** Refuses the typed COPY: nothing is published, the staged path runs from a fresh reader. */
class TypedCopyRefusal extends Error {}

/** Why this load cannot take the typed COPY (undefined when it can); decided before a byte is read. */
export function typedCopyProblem(
  relation: CatalogRelation | undefined,
  reader: PassThroughReader,
  plan: Pick<LoadPlan, 'columns' | 'primaryKey' | 'target'>,
  options: Pick<WriteOptions, 'mode' | 'schemaEvolution'>,
): string | undefined {
  if (reader.format.kind !== 'csv' || !reader.valuesAreText) return 'the typed COPY reads CSV text';
  if (relation) return typedMergeProblem(relation, plan, options);
  return undefined;
}

/**
 * Why the typed COPY cannot merge into this existing target: it needs a
 * merge, a unique key on the merge key, the load's columns with the types the
 * staging table gets (so the upsert converts nothing), no column to add,
 * retype or drop, and a comparison for every other column (so equal rows are
 * left alone, as on the staged path).
 */
export function typedMergeProblem(
  relation: CatalogRelation,
  plan: Pick<LoadPlan, 'columns' | 'primaryKey' | 'target'>,
  options: Pick<WriteOptions, 'mode' | 'schemaEvolution'>,
): string | undefined {
  const key = plan.primaryKey ?? [];
  if (options.mode !== 'merge' || key.length === 0) return 'the target exists';
  if (plan.columns.every((c) => key.includes(c.name))) return 'every column is in the merge key';
  if (!relation.uniqueKeys.some((k) => sameColumns(k, key))) return 'the target has no unique key on the merge key';
  const existing = new Map(relation.columns.map((c) => [c.name, c]));
  for (const column of plan.columns) {
    const current = existing.get(column.name);
    if (!current || current.declared !== pgTypeFor(column.type)) return `column "${column.name}" differs in the target`;
    if (!key.includes(column.name) && !comparisonOf(current.typname, current.declared)) {
      return `column "${column.name}" has no comparison for leaving equal rows alone`;
    }
  }
  try {
    const change = planSchemaChange(relation.columns, plan.columns, options.schemaEvolution, plan.target);
    if (change.add.length + change.retype.length + change.drop.length > 0) return 'the target’s columns would change';
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Runs the typed COPY; a refusal leaves nothing behind but what the caller's clean-up drops (the staging table). */
export async function loadTypedCopy(ctx: TypedCopyContext): Promise<TypedCopyOutcome> {
  const { session, plan, options } = ctx;
  const columns = plan.columns.map((column, index) => textColumn(column, index));
  const change = planSchemaChange(undefined, plan.columns, options.schemaEvolution, plan.target);
  await session.query(`DROP TABLE IF EXISTS ${plan.staging}`);
  for (const statement of schemaChangeStatements(plan.staging, change, undefined)) await session.query(statement);
  // A merge's staging table is dropped once merged: no WAL for it (a new table's becomes the target).
  if (ctx.merging) await session.query(`ALTER TABLE ${plan.staging} SET UNLOGGED`);
  const key = primaryKeyOf(ctx);
  if (key.length > 0) {
    // NOT NULL from the start, as the primary key makes them anyway: COPY checks each row as it
    // goes, and building the key needs no scan of the whole table to prove it (a fifth of its time).
    const notNull = key.map((column) => `ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`);
    await session.query(`ALTER TABLE ${plan.staging} ${notNull.join(', ')}`);
  }
  await ctx.fault('before-copy', 0);
  try {
    const copied = await copyInParallel(
      ctx,
      columns.map((c) => ({ ...c, staged: quoteIdent(c.source) })),
    );
    await proveKeys(ctx);
    return await (ctx.merging ? publishMerge(ctx, copied, ctx.merging) : publish(ctx, copied));
  } catch (error) {
    if (error instanceof TypedCopyRefusal) return { kind: 'refused', reason: error.message };
    throw error;
  }
}

/** The CSV split at record boundaries over `streams` COPY sessions; returns the rows and bytes sent. */
async function copyInParallel(
  ctx: TypedCopyContext,
  columns: readonly StagingColumn[],
): Promise<{ rows: number; bytes: number }> {
  const { reader, options, plan } = ctx;
  const format = reader.format as { kind: 'csv'; delimiter: string; header: boolean };
  const checker = checkReaderFields(reader, fieldChecker(plan.columns, ctx.transform, format, { typed: true }));
  const sessions: PgSession[] = [ctx.session];
  const streams: CopyDataStream[] = [];
  let failed = false;
  try {
    for (let i = 1; i < ctx.streams; i++) {
      // More sessions only go faster: a server out of connections (53300) gets fewer streams, same rows.
      const extra = await ctx.factory.connect().catch(() => undefined);
      if (!extra) break;
      sessions.push(extra);
    }
    for (const [i, s] of sessions.entries()) {
      await s.query('BEGIN');
      // Offset-less timestamps are UTC, as the engine's castValue reads them.
      await s.query(`SET LOCAL TimeZone = 'UTC'`);
      streams.push(
        openCopyStream(s, copySql(plan.staging, columns, format.delimiter, i === 0 && format.header), columns),
      );
    }
    const fanOut = new CopyFanOut(streams);
    for await (const chunk of reader.chunks()) {
      options.signal?.throwIfAborted();
      refuseOnDoubt(checker);
      await fanOut.push(chunk, checker.lastRecordEnd);
      await ctx.fault('mid-copy', reader.rows);
    }
    // The reader's scan has judged the last record too.
    refuseOnDoubt(checker);
    await fanOut.end();
    // Each server process finishes its own stream (and then commits) while the others do theirs.
    await Promise.all(streams.map((stream) => stream.finish()));
    const serverRows = streams.reduce((sum, stream) => sum + (stream.serverRowCount ?? 0), 0);
    if (serverRows !== reader.rows) {
      throw new PassThroughRejected(`the server read ${serverRows} rows where the reader counted ${reader.rows}`);
    }
    await Promise.all(sessions.map((s) => s.query('COMMIT')));
    return { rows: reader.rows, bytes: fanOut.bytes };
  } catch (error) {
    failed = true;
    const reason = error instanceof Error ? error : new Error(String(error));
    await Promise.all(streams.map((stream) => stream.abort(reason).catch(() => undefined)));
    throw refusalFor(error, 'copy');
  } finally {
    // The first session is the caller's: it rolls back and drops the staging table itself.
    for (const extra of sessions.slice(1)) {
      const usable = !failed || (await rolledBack(extra));
      await extra.release(!usable);
    }
  }
}

async function rolledBack(session: PgSession): Promise<boolean> {
  try {
    await session.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}

function refuseOnDoubt(checker: CsvFieldChecker): void {
  const first = checker.doubtful[0];
  if (first !== undefined) throw new TypedCopyRefusal(`record ${first} holds a value the typed COPY cannot vouch for`);
}

/**
 * Builds the target's primary key (merge) and a unique index on the dedupe
 * key when it is another one: each fails on a duplicate or a missing key,
 * which the staged path settles (dedupe, the merge's last row wins).
 */
async function proveKeys(ctx: TypedCopyContext): Promise<void> {
  const { session, plan, transform } = ctx;
  const primaryKey = primaryKeyOf(ctx);
  const dedupe = transform.dedupeKey;
  try {
    await session.query('BEGIN');
    // The key's sort fits in memory for tens of millions of rows (the default 64MB spills sooner).
    await session.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    if (primaryKey.length > 0) {
      await session.query(
        `ALTER TABLE ${plan.staging} ADD CONSTRAINT ${quoteIdent(stagingKeyName(plan))} ` +
          `PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`,
      );
    }
    if (dedupe && !sameColumns(dedupe, primaryKey)) {
      await session.query(
        `CREATE UNIQUE INDEX ${quoteIdent(dedupeIndexName(plan))} ON ${plan.staging} (${dedupe.map(quoteIdent).join(', ')})`,
      );
    }
    await session.query('COMMIT');
  } catch (error) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw refusalFor(error, 'keys');
  }
}

/** The transaction that makes the load visible: the loaded table takes the target's name. */
function publish(ctx: TypedCopyContext, copied: { rows: number; bytes: number }): Promise<TypedCopyOutcome> {
  const { session, plan, transform } = ctx;
  return inPublishTransaction(ctx, copied, async () => {
    if (await readRelation(session, plan.table)) throw new TypedCopyRefusal('the target was created meanwhile');
    const primaryKey = primaryKeyOf(ctx);
    if (transform.dedupeKey && !sameColumns(transform.dedupeKey, primaryKey)) {
      await session.query(`DROP INDEX ${qualifiedName(plan.table.schema, dedupeIndexName(plan))}`);
    }
    await session.query(`ALTER TABLE ${plan.staging} RENAME TO ${quoteIdent(plan.table.name)}`);
    if (primaryKey.length > 0) {
      // Named after the staging table until now, so concurrent loads of one new target never collide.
      await session
        .query(
          `ALTER TABLE ${plan.target} RENAME CONSTRAINT ${quoteIdent(stagingKeyName(plan))} ` +
            `TO ${quoteIdent(primaryKeyName(plan.table.name))}`,
        )
        .catch((error: unknown) => {
          throw (error as { code?: unknown }).code === '42P07'
            ? new TypedCopyRefusal(`the name ${primaryKeyName(plan.table.name)} is taken`)
            : error;
        });
    }
  });
}

/**
 * The transaction that merges the typed staging table into the existing
 * target: the new keys and the rows that differ go through the upsert, then
 * the staging table goes.
 */
function publishMerge(
  ctx: TypedCopyContext,
  copied: { rows: number; bytes: number },
  merging: CatalogRelation,
): Promise<TypedCopyOutcome> {
  const { session, plan, options } = ctx;
  return inPublishTransaction(ctx, copied, async () => {
    const relation = await readRelation(session, plan.table);
    if (!relation || relation.oid !== merging.oid || typedMergeProblem(relation, plan, options)) {
      throw new TypedCopyRefusal('the target changed meanwhile');
    }
    await session.query(`SET LOCAL work_mem = '256MB'`);
    await session.query(typedMergeSql(plan, relation));
    await session.query(`DROP TABLE ${plan.staging}`);
  });
}

/**
 * One publish: under the table's lock and the ledger's claim, `publishRows`
 * puts the rows in the target; then the row-count rules, the checkpoint and
 * the ledger's count, and the commit. Nothing was rejected or dropped as a
 * duplicate (no value was in doubt, the keys were proved): every row read is
 * a row loaded.
 */
async function inPublishTransaction(
  ctx: TypedCopyContext,
  copied: { rows: number; bytes: number },
  publishRows: () => Promise<void>,
): Promise<TypedCopyOutcome> {
  const { session, plan, options, transform, ledgerSchema } = ctx;
  await session.query('BEGIN');
  try {
    await session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`aoe-table:${plan.key.table}`]);
    if (!(await claimLoad(session, ledgerSchema, plan.key, options.mode))) {
      await session.query('ROLLBACK');
      await session.query(`DROP TABLE IF EXISTS ${plan.staging}`);
      return { kind: 'claimed-elsewhere' };
    }
    await publishRows();
    transform.finish(copied.rows);
    const state = options.checkpoint?.state();
    if (state && options.checkpoint) {
      await writeCheckpoint(session, ledgerSchema, options.checkpoint.pipelineId, options.checkpoint.stream, state);
    }
    await recordLoadRows(session, ledgerSchema, plan.key, copied.rows);
    await ctx.fault('before-commit', copied.rows);
    // A load stopped while it was being written commits nothing, however far it got.
    options.signal?.throwIfAborted();
    await session.query('COMMIT');
  } catch (error) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await ctx.fault('after-commit', copied.rows);
  return {
    kind: 'committed',
    result: {
      rowsWritten: copied.rows,
      bytesWritten: copied.bytes,
      location: ctx.location,
      alreadyCommitted: false,
      rowsToLoad: copied.rows,
      typedCopy: true,
    },
  };
}

/** The upsert from the typed staging table of the rows that are new or differ from the target's. */
function typedMergeSql(plan: LoadPlan, relation: CatalogRelation): string {
  const keys = plan.primaryKey!;
  const current = new Map(relation.columns.map((c) => [c.name, c]));
  const columns = plan.columns.map((c) => {
    const target = current.get(c.name)!;
    return {
      name: c.name,
      incoming: `s.${quoteIdent(c.name)}`,
      compare: comparisonOf(target.typname, target.declared),
    };
  });
  const names = columns.map((c) => c.name);
  return (
    `INSERT INTO ${plan.target} (${names.map(quoteIdent).join(', ')}) ` +
    `SELECT ${columns.map((c) => c.incoming).join(', ')} ` +
    `${changedRowsSql(plan.target, `${plan.staging} AS s`, columns, keys)} ${onConflictSql(keys, names)}`
  );
}

/**
 * A value the server refused (SQLSTATE class 22), a duplicate or missing key
 * (class 23), a name already taken (42P07): the staged path may still load
 * it. Anything else is the load's real failure.
 */
function refusalFor(error: unknown, step: 'copy' | 'keys'): unknown {
  if (error instanceof TypedCopyRefusal || error instanceof PassThroughRejected) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (code.startsWith('22') || code.startsWith('23') || (step === 'keys' && code === '42P07')) {
    const what = step === 'keys' ? 'the keys do not hold' : 'the server refused a value';
    return new TypedCopyRefusal(`${what} (${code}): ${(error as Error).message}`);
  }
  return error;
}

/** The target's primary key, when this load builds one (a merge). */
function primaryKeyOf(ctx: TypedCopyContext): readonly string[] {
  return ctx.options.mode === 'merge' ? (ctx.plan.primaryKey ?? []) : [];
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** PostgreSQL's own name for `CREATE TABLE name (… PRIMARY KEY …)`: `<name>_pkey`, the name cut to fit 63 bytes. */
export function primaryKeyName(table: string): string {
  let name = table;
  while (Buffer.byteLength(name) > 63 - '_pkey'.length) name = name.slice(0, -1);
  return `${name}_pkey`;
}

/** The primary key while the table is staged, named after this load's staging table. */
function stagingKeyName(plan: LoadPlan): string {
  return plan.stagingName.replace(/^_aoe_stage_/, '_aoe_pkey_');
}

/** The dedupe proof's index, named after this load's staging table. */
function dedupeIndexName(plan: LoadPlan): string {
  return plan.stagingName.replace(/^_aoe_stage_/, '_aoe_dedup_');
}

function copySql(table: string, columns: readonly StagingColumn[], delimiter: string, header: boolean): string {
  // The delimiter is one character; as a hex escape it cannot break out of the literal.
  const hex = Buffer.from(delimiter, 'utf8').toString('hex');
  return (
    `COPY ${table} (${columns.map((c) => c.staged).join(', ')}) FROM STDIN ` +
    `(FORMAT csv, HEADER ${header ? 'true' : 'false'}, DELIMITER E'\\x${hex}')`
  );
}

/** Bytes a COPY stream may have waiting to be sent before the fan-out waits for it. */
const MAX_QUEUED_BYTES = 4 << 20;

/**
 * Hands whole records to the COPY streams, each block to the stream with the
 * fewest bytes still waiting to be sent: the bytes after a chunk's last
 * record end wait for the next chunk. A busy server process holds back only
 * its own stream; the reader waits only when every stream is full.
 */
export class CopyFanOut {
  bytes = 0;
  private carry: Buffer[] = [];
  private readonly queued: number[];
  private readonly tails: Array<Promise<unknown>>;
  private readonly inFlight = new Set<Promise<number>>();

  constructor(private readonly streams: readonly CopyDataStream[]) {
    this.queued = streams.map(() => 0);
    this.tails = streams.map(() => Promise.resolve());
  }

  /** `recordEnd`: the offset after the chunk's last complete record, or -1 when no record ends in it. */
  async push(chunk: Buffer, recordEnd: number): Promise<void> {
    this.bytes += chunk.length;
    if (recordEnd < 0) {
      this.carry.push(chunk);
      return;
    }
    // The pieces go to one stream one after the other: no copy into one buffer.
    const records = recordEnd === 0 ? this.carry : [...this.carry, chunk.subarray(0, recordEnd)];
    this.carry = recordEnd < chunk.length ? [chunk.subarray(recordEnd)] : [];
    await this.send(records);
  }

  /** Sends what is left (a last record without a line end) and waits for every write. */
  async end(): Promise<void> {
    await this.send(this.carry);
    this.carry = [];
    await Promise.all(this.inFlight);
  }

  private async send(pieces: readonly Buffer[]): Promise<void> {
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    if (length === 0) return;
    let i = this.leastQueued();
    while (this.queued[i] >= MAX_QUEUED_BYTES) {
      await Promise.race(this.inFlight);
      i = this.leastQueued();
    }
    this.queued[i] += length;
    const stream = this.streams[i];
    // One write at a time per stream, in order: the next starts once the last one drained.
    const write = this.tails[i]
      .then(async () => {
        for (const piece of pieces) await stream.writeBytes(piece);
        return length;
      })
      .finally(() => {
        this.queued[i] -= length;
        this.inFlight.delete(write);
      });
    this.tails[i] = write;
    // Its failure surfaces where the fan-out waits (the next race, or end()).
    write.catch(() => undefined);
    this.inFlight.add(write);
  }

  /** The first stream with the fewest bytes waiting: the first block (with the header) goes to stream 0. */
  private leastQueued(): number {
    let best = 0;
    for (let i = 1; i < this.queued.length; i++) if (this.queued[i] < this.queued[best]) best = i;
    return best;
  }
}
