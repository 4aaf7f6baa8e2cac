import type { PostgresConnection } from '@aoe/contracts';
import type {
  Batch,
  CheckResult,
  CursorState,
  ReadOptions,
  RejectedRecord,
  Row,
  SourceConnector,
  StreamSchema,
} from '../connector';
import { ConnectorError } from '../connector-error';
import { countLines, type PassThroughReader, type PassThroughRequest, type PassThroughSource } from '../pass-through';
import { COPY_NULL, CopyLineSplitter, fieldDecoder, unescapeCopyText, type FieldDecoder } from './copy-text';
import { alreadyLoaded } from './cursor-state';
import { mergeAsync } from './merge-async';
import { catalogColumn, describeTypes, readRelation, type CatalogColumn } from './pg-catalog';
import { connectionFactoryFor, type PgConnectionFactory, type PgSession } from './pg-connection';
import { toConnectorError, type ErrorContext } from './pg-errors';
import { abortError } from './stall-watch';
import { qualifiedName, quoteIdent } from './pg-identifiers';

/** The contract's `{ kind: 'postgres', connection, table | query }`. */
export interface PostgresSourceConfig {
  kind?: 'postgres';
  connection?: PostgresConnection;
  table?: { schema?: string; name: string };
  query?: string;
}

export interface PostgresSourceOptions {
  /** Where sessions come from; by default one connection per session, made from `spec.connection`. */
  connectionFactory?: PgConnectionFactory;
}

interface SourceColumn extends CatalogColumn {
  /** The select-list expression. */
  select: string;
  decode: FieldDecoder;
}

interface Relation {
  /** StreamSchema name: the table's name, or `query`. */
  name: string;
  /** Position prefix: `schema.table` or `query`. */
  label: string;
  /** The FROM item. */
  from: string;
  columns: SourceColumn[];
  primaryKey?: string[];
}

interface ReadQuery {
  sql: string;
  params: Array<[string, string]>;
  /** Keys loaded at exactly the mark: rows at the mark with one of these keys are skipped. */
  skip?: { state: CursorState; keys: ReadonlySet<string>; keyColumns: string[] };
}

/** Logical types a cursor can have: ordered scalars. */
const CURSOR_TYPES = new Set(['integer', 'bigint', 'number', 'decimal', 'date', 'timestamp', 'timestamptz', 'string']);

/**
 * Session settings for reading: the decoders expect ISO dates in UTC, hex
 * bytea and shortest-exact floats, whatever the server's defaults.
 */
const READ_SETTINGS: Array<[string, string]> = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, YMD'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '1'],
  ['bytea_output', 'hex'],
];

/**
 * Reads a PostgreSQL table or query with `COPY (SELECT …) TO STDOUT` in text
 * format, parsed as it streams. Incremental reads start at the cursor's mark;
 * `partitions > 1` splits a table with an integer primary key into key ranges
 * read on parallel connections from one exported snapshot.
 */
export class PostgresSource implements SourceConnector, PassThroughSource {
  readonly kind = 'postgres' as const;
  private readonly factory: PgConnectionFactory;

  constructor(
    private readonly spec: PostgresSourceConfig,
    options: PostgresSourceOptions = {},
  ) {
    if (Boolean(spec.table) === Boolean(spec.query)) {
      throw new ConnectorError('bug', 'a postgres source needs exactly one of table or query');
    }
    this.factory = connectionFactoryFor(spec.connection, options.connectionFactory);
  }

  private get errorContext(): ErrorContext {
    return { location: this.factory.location, secrets: this.factory.secrets };
  }

  async check(): Promise<CheckResult> {
    try {
      await this.inReadTransaction((session) => this.describe(session));
      return { ok: true };
    } catch (error) {
      return { ok: false, message: toConnectorError(error, this.errorContext).message };
    }
  }

  async discover(): Promise<StreamSchema[]> {
    try {
      const relation = await this.inReadTransaction((session) => this.describe(session));
      return [
        {
          name: relation.name,
          columns: relation.columns.map((c) => ({
            name: c.name,
            type: c.logical,
            nullable: !c.notNull,
            declaredType: c.declared,
          })),
          ...(relation.primaryKey ? { primaryKey: relation.primaryKey } : {}),
        },
      ];
    } catch (error) {
      throw toConnectorError(error, this.errorContext);
    }
  }

  read(options: ReadOptions): AsyncIterable<Batch> {
    return this.readBatches(options);
  }

  async close(): Promise<void> {
    await this.factory.close();
  }

  /**
   * The pass-through fast path for a full read: `COPY (SELECT …) TO STDOUT`
   * text handed over undecoded, for `COPY … FROM STDIN` on the target. Same
   * snapshot rules and session settings as `read()`. Undefined when the
   * columns are not `request.columns` in order, or a column reads as JSON
   * (the row path normalises JSON values).
   */
  async passThrough(request: PassThroughRequest): Promise<PassThroughReader | undefined> {
    // NULL checks would need every field looked at: the row path does that.
    if ((request.notNull ?? []).length > 0) return undefined;
    const session = await this.connect();
    let handedOver = false;
    try {
      await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const relation = await this.describe(session);
      const names = relation.columns.map((c) => c.name);
      const same = names.length === request.columns.length && names.every((n, i) => n === request.columns[i]);
      if (!same || relation.columns.some((c) => c.logical === 'json') || !session.copyTo) return undefined;
      const query = readQuery(relation, { batchSize: 1 }, []);
      await session.query(
        `SELECT ${READ_SETTINGS.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
        READ_SETTINGS.flat(),
      );
      handedOver = true;
      return new CopyTextReader(session, query.sql, names, request.signal, (error) =>
        toConnectorError(error, this.errorContext),
      );
    } catch (error) {
      throw toConnectorError(error, this.errorContext);
    } finally {
      if (!handedOver) await session.release(true);
    }
  }

  private async inReadTransaction<T>(fn: (session: PgSession) => Promise<T>): Promise<T> {
    const session = await this.factory.connect();
    let broken = true;
    try {
      await session.query('BEGIN READ ONLY');
      const result = await fn(session);
      await session.query('ROLLBACK');
      broken = false;
      return result;
    } finally {
      await session.release(broken);
    }
  }

  private async describe(session: PgSession): Promise<Relation> {
    if (this.spec.table) {
      const table = { schema: this.spec.table.schema ?? 'public', name: this.spec.table.name };
      const found = await readRelation(session, table);
      const label = `${table.schema}.${table.name}`;
      if (!found)
        throw new ConnectorError('schema-drift', `table ${label} does not exist or is not visible to this user`);
      return {
        name: table.name,
        label,
        from: qualifiedName(table.schema, table.name),
        columns: found.columns.map((c) => sourceColumn(c)),
        primaryKey: found.primaryKey,
      };
    }
    const query = this.spec.query!.trim().replace(/;+\s*$/, '');
    const from = `(${query}) AS _aoe_q`;
    const probe = await session.query(`SELECT * FROM ${from} LIMIT 0`);
    const fields = probe.fields ?? [];
    const names = new Set<string>();
    for (const field of fields) {
      if (names.has(field.name)) {
        throw new ConnectorError(
          'bug',
          `the query returns column "${field.name}" twice; give each column its own name`,
        );
      }
      names.add(field.name);
    }
    const types = await describeTypes(session, [...new Set(fields.map((f) => f.dataTypeID))]);
    const columns = fields.map((field) => {
      const type = types.get(field.dataTypeID);
      return sourceColumn(
        catalogColumn({
          name: field.name,
          declared: type?.declared ?? 'text',
          cast_type: type?.cast_type ?? 'text',
          typname: type?.typname ?? 'text',
          category: type?.category ?? 'S',
          collatable: type?.collatable ?? false,
          not_null: false,
          filled: false,
        }),
      );
    });
    return { name: 'query', label: 'query', from, columns };
  }

  private async *readBatches(options: ReadOptions): AsyncGenerator<Batch> {
    const batchSize = Math.max(1, Math.floor(options.batchSize));
    let first: PgSession | undefined = await this.connect();
    const uncut = first.cutOnAbort?.(options.signal);
    try {
      await first.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const relation = await this.describe(first);
      // Built (and checked) before the session is handed over, so a bad cursor cannot leak it.
      const query = readQuery(relation, options, []);
      const partitionKey = partitionColumn(relation);
      const partitions = Math.max(1, Math.floor(options.partitions ?? 1));
      const session = first;
      first = undefined;
      if (partitions > 1 && partitionKey) {
        yield* this.readPartitioned(session, relation, partitionKey, partitions, options, batchSize);
      } else {
        yield* this.readRange(session, relation, query, relation.label, options, batchSize);
      }
    } catch (error) {
      throw toConnectorError(error, this.errorContext);
    } finally {
      uncut?.();
      await first?.release(true);
    }
  }

  private async connect(): Promise<PgSession> {
    try {
      return await this.factory.connect();
    } catch (error) {
      throw toConnectorError(error, this.errorContext);
    }
  }

  private async *readPartitioned(
    coordinator: PgSession,
    relation: Relation,
    key: SourceColumn,
    partitions: number,
    options: ReadOptions,
    batchSize: number,
  ): AsyncGenerator<Batch> {
    const sessions: PgSession[] = [];
    const where = [
      `${quoteIdent(key.name)} >= current_setting('aoe.lo')::bigint`,
      `${quoteIdent(key.name)} <= current_setting('aoe.hi')::bigint`,
    ];
    let queries: ReadQuery[] = [];
    let handedOver = false;
    try {
      const exported = await coordinator.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const snapshot = exported.rows[0]?.id ?? '';
      // SET TRANSACTION SNAPSHOT takes no parameter; the id comes from the server and is checked.
      if (!/^[0-9A-Fa-f-]+$/.test(snapshot)) throw new ConnectorError('bug', 'unexpected snapshot id from the server');
      const k = quoteIdent(key.name);
      const bounds = await coordinator.query<{ lo: string | null; hi: string | null }>(
        `SELECT min(${k})::text AS lo, max(${k})::text AS hi FROM ${relation.from}`,
      );
      const { lo, hi } = bounds.rows[0] ?? { lo: null, hi: null };
      if (lo === null || hi === null) {
        await coordinator.query('COMMIT');
        handedOver = true;
        return;
      }
      const ranges = splitKeyRange(BigInt(lo), BigInt(hi), partitions);
      queries = ranges.map((range) => {
        const query = readQuery(relation, options, where);
        query.params.push(['aoe.lo', range.lo], ['aoe.hi', range.hi]);
        return query;
      });
      const opened = await Promise.allSettled(
        queries.map(async () => {
          const session = await this.connect();
          try {
            await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
            await session.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
            return session;
          } catch (error) {
            await session.release(true);
            throw error;
          }
        }),
      );
      for (const result of opened) if (result.status === 'fulfilled') sessions.push(result.value);
      const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await coordinator.query('COMMIT');
      handedOver = true;
    } finally {
      await coordinator.release(!handedOver);
      if (!handedOver) await Promise.all(sessions.map((s) => s.release(true)));
    }
    yield* mergeAsync(
      queries.map((query, i) =>
        this.readRange(sessions[i], relation, query, `${relation.label}[p${i + 1}]`, options, batchSize),
      ),
    );
  }

  /** Streams one COPY on a session already in its read transaction; releases the session at the end. */
  private async *readRange(
    session: PgSession,
    relation: Relation,
    query: ReadQuery,
    label: string,
    options: ReadOptions,
    batchSize: number,
  ): AsyncGenerator<Batch> {
    let finished = false;
    // A stalled server would keep the COPY pending past the signal: abort cuts the connection itself.
    const uncut = session.cutOnAbort?.(options.signal);
    try {
      const settings = [...READ_SETTINGS, ...query.params];
      await session.query(
        `SELECT ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
        settings.flat(),
      );
      if (!session.copyTo) throw new ConnectorError('bug', 'this database session has no COPY TO STDOUT');
      const stream = session.copyTo(query.sql);
      const splitter = new CopyLineSplitter();
      const decode = rowDecoder(relation.columns);
      let rows: Row[] = [];
      let positions: string[] = [];
      let rejected: RejectedRecord[] = [];
      let bytes = 0;
      let ordinal = 0;
      const take = (line: string) => {
        ordinal++;
        const position = `${label}:${ordinal}`;
        let row: Row;
        try {
          row = decode(line);
        } catch (error) {
          rejected.push({ position, reason: (error as Error).message, raw: line });
          return;
        }
        if (query.skip && alreadyLoaded(row, query.skip.state, query.skip.keys, query.skip.keyColumns)) return;
        rows.push(row);
        positions.push(position);
      };
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (options.signal?.aborted) throw abortError(options.signal);
        bytes += chunk.length;
        for (const line of splitter.push(chunk)) {
          take(line);
          if (rows.length >= batchSize) {
            yield { rows, positions, rejected, bytes };
            rows = [];
            positions = [];
            rejected = [];
            bytes = 0;
          }
        }
      }
      for (const line of splitter.end()) take(line);
      if (rows.length > 0 || rejected.length > 0) yield { rows, positions, rejected, bytes };
      await session.query('COMMIT');
      finished = true;
    } catch (error) {
      throw toConnectorError(error, this.errorContext);
    } finally {
      uncut?.();
      // A read stopped halfway leaves the connection mid-COPY: close it rather than reuse it.
      await session.release(!finished);
    }
  }
}

function sourceColumn(column: CatalogColumn): SourceColumn {
  const q = quoteIdent(column.name);
  return {
    ...column,
    select: column.readsAsJson ? `to_jsonb(${q})` : q,
    decode: fieldDecoder(column.logical),
  };
}

/**
 * Rows are copies of one template object, so every row of a read has the same
 * shape (fast property stores) and every column, even `__proto__`, is an own
 * property from the start.
 */
function rowDecoder(columns: readonly SourceColumn[]): (line: string) => Row {
  const width = columns.length;
  const names = columns.map((c) => c.name);
  const decoders = columns.map((c) => c.decode);
  const template = Object.fromEntries(names.map((name) => [name, null])) as Row;
  return (line) => {
    const fields = line.split('\t');
    if (fields.length !== width) throw new Error(`expected ${width} fields, found ${fields.length}`);
    const row: Row = { ...template };
    for (let i = 0; i < width; i++) {
      const field = fields[i];
      if (field !== COPY_NULL) row[names[i]] = decoders[i](unescapeCopyText(field));
    }
    return row;
  };
}

/** An integer single-column primary key, which key ranges can split. */
function partitionColumn(relation: Relation): SourceColumn | undefined {
  if (relation.primaryKey?.length !== 1) return undefined;
  const column = relation.columns.find((c) => c.name === relation.primaryKey![0]);
  return column && (column.logical === 'integer' || column.logical === 'bigint') && column.typname !== 'oid'
    ? column
    : undefined;
}

/** Splits [lo, hi] into at most `parts` contiguous inclusive ranges of near-equal width. */
export function splitKeyRange(lo: bigint, hi: bigint, parts: number): Array<{ lo: string; hi: string }> {
  if (hi < lo) return [];
  const span = hi - lo + 1n;
  const count = BigInt(Math.max(1, parts)) < span ? BigInt(Math.max(1, parts)) : span;
  const step = (span + count - 1n) / count;
  const ranges: Array<{ lo: string; hi: string }> = [];
  for (let start = lo; start <= hi; start += step) {
    const end = start + step - 1n < hi ? start + step - 1n : hi;
    ranges.push({ lo: start.toString(), hi: end.toString() });
  }
  return ranges;
}

/** The COPY statement of a read, its settings, and what to skip at the incremental mark. */
function readQuery(relation: Relation, options: ReadOptions, extraWhere: readonly string[]): ReadQuery {
  const where = [...extraWhere];
  const order: string[] = [];
  const params: Array<[string, string]> = [];
  let skip: ReadQuery['skip'];
  const cursorName = options.cursorColumn ?? options.cursor?.column;
  if (cursorName !== undefined) {
    const cursor = relation.columns.find((c) => c.name === cursorName);
    if (!cursor) throw new ConnectorError('schema-drift', `cursor column "${cursorName}" is not in ${relation.label}`);
    // Text-like cursors must order as text does (enums, intervals and the like do not).
    const orderedAsText = cursor.logical !== 'string' || cursor.collatable || cursor.typname === 'uuid';
    if (!CURSOR_TYPES.has(cursor.logical) || !orderedAsText) {
      throw new ConnectorError('bug', `cursor column "${cursorName}" is ${cursor.declared}, which has no useful order`);
    }
    // Text cursors order byte-wise, as the engine's comparison does.
    const expression = `${quoteIdent(cursor.name)}${cursor.collatable ? ' COLLATE "C"' : ''}`;
    const state = options.cursor;
    if (state && state.column === cursor.name && state.value !== null) {
      // The mark travels as a setting (a parameter), cast to the column's type as pg_catalog names it.
      where.push(`${expression} >= current_setting('aoe.cursor')::${cursor.castType}`);
      params.push(['aoe.cursor', String(state.value)]);
      const keyColumns = relation.primaryKey ?? relation.columns.map((c) => c.name);
      if (state.keysAtValue.length > 0) skip = { state, keys: new Set(state.keysAtValue), keyColumns };
    }
    order.push(expression, ...(relation.primaryKey ?? []).map(quoteIdent));
  }
  const select = relation.columns.map((c) => c.select).join(', ');
  const sql =
    `COPY (SELECT ${select} FROM ${relation.from}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '') +
    ') TO STDOUT';
  return { sql, params, skip };
}

/** One `COPY … TO STDOUT` as a pass-through reader; the session is released when the reader ends. */
class CopyTextReader implements PassThroughReader {
  readonly format = { kind: 'text' } as const;
  readonly valuesAreText = false;
  rows = 0;
  bytes = 0;
  private released = false;
  private finished = false;

  constructor(
    private readonly session: PgSession,
    private readonly sql: string,
    readonly columns: readonly string[],
    private readonly signal: AbortSignal | undefined,
    private readonly wrap: (error: unknown) => Error,
  ) {}

  async *chunks(): AsyncGenerator<Buffer> {
    const uncut = this.session.cutOnAbort?.(this.signal);
    try {
      const stream = this.session.copyTo!(this.sql);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.signal?.aborted) throw abortError(this.signal);
        this.bytes += chunk.length;
        this.rows += countLines(chunk);
        yield chunk;
      }
      await this.session.query('COMMIT');
      this.finished = true;
    } catch (error) {
      throw this.wrap(error);
    } finally {
      uncut?.();
      await this.close();
    }
  }

  cursor(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // A read stopped halfway leaves the connection mid-COPY: close it rather than reuse it.
    await this.session.release(!this.finished);
  }
}
