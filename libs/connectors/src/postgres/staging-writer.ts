import type { Writable } from 'node:stream';
import type { Row } from '../connector';
import { ConnectorError } from '../connector-error';
import { copyField, type FieldEncoder } from './copy-text';
import type { PgSession } from './pg-connection';

/** One column of a staging table: its (quoted) name there, how to read it from a row, how to write it. */
export interface StagingColumn {
  /** The quoted column name in the staging table. */
  staged: string;
  /** The column's name in the data, for messages. */
  source: string;
  read: (row: Row) => unknown;
  encode: FieldEncoder;
}

/** Batches flowing into one staging table. */
export interface StagingStream {
  /** Writes one batch; resolves (with the bytes sent) once the writer can take the next one. */
  write(rows: readonly Row[]): Promise<number>;
  /** Waits until every row is in the staging table. */
  finish(): Promise<void>;
  /** Gives up; the session may be unusable afterwards. */
  abort(error: Error): Promise<void>;
}

/**
 * How rows get into the staging table. COPY FROM STDIN by default; an engine
 * without COPY streaming (PGlite) uses multi-row INSERTs instead.
 */
export interface StagingWriter {
  open(session: PgSession, stagingTable: string, columns: readonly StagingColumn[]): Promise<StagingStream>;
}

function encodeField(column: StagingColumn, row: Row, index: number): string | null {
  try {
    return column.encode(column.read(row));
  } catch (error) {
    throw new ConnectorError(
      'data-quality',
      `column "${column.source}", row ${index + 1} of the batch: ${(error as Error).message}`,
    );
  }
}

/** Rows as COPY text: one string per batch, so a batch costs one Buffer and one write. */
export function encodeCopyRows(rows: readonly Row[], columns: readonly StagingColumn[]): string {
  let out = '';
  const last = columns.length - 1;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let c = 0; c <= last; c++) {
      out += copyField(encodeField(columns[c], row, r));
      out += c === last ? '\n' : '\t';
    }
  }
  return out;
}

/** A COPY FROM STDIN stream that takes rows or raw COPY data. */
export interface CopyDataStream extends StagingStream {
  writeBytes(chunk: Buffer): Promise<number>;
  readonly serverRowCount: number | undefined;
}

/**
 * Opens `sql` (a `COPY … FROM STDIN`) on the session: rows are encoded for
 * `columns`; raw bytes go as they are.
 */
export function openCopyStream(session: PgSession, sql: string, columns: readonly StagingColumn[]): CopyDataStream {
  if (!session.copyFrom) {
    throw new ConnectorError('bug', 'this database session has no COPY FROM STDIN; use InsertStagingWriter');
  }
  return new CopyStagingStream(session.copyFrom(sql), columns);
}

class CopyStagingStream implements CopyDataStream {
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly columns: readonly StagingColumn[],
  ) {
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
    stream.on('close', () => {
      this.closed = true;
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new ConnectorError('transient-network', 'the COPY stream closed before the load finished');
  }

  async write(rows: readonly Row[]): Promise<number> {
    this.check();
    if (rows.length === 0) return 0;
    return this.writeBytes(Buffer.from(encodeCopyRows(rows, this.columns), 'utf8'));
  }

  /** COPY data as it is (the pass-through path); resolves once the stream can take more. */
  async writeBytes(chunk: Buffer): Promise<number> {
    this.check();
    if (!this.stream.write(chunk)) await this.drained();
    this.check();
    return chunk.length;
  }

  /** Rows the server reports for the finished COPY (pg-copy-streams' `rowCount`), if it says. */
  get serverRowCount(): number | undefined {
    const count = (this.stream as unknown as { rowCount?: unknown }).rowCount;
    return typeof count === 'number' ? count : undefined;
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onError);
        this.stream.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () =>
        done(
          this.failure ?? new ConnectorError('transient-network', 'the COPY stream closed before the load finished'),
        );
      this.stream.on('drain', onDrain);
      this.stream.on('error', onError);
      this.stream.on('close', onClose);
    });
  }

  async finish(): Promise<void> {
    this.check();
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.stream.once('error', onError);
      this.stream.once('close', () => {
        if (this.failure) reject(this.failure);
      });
      this.stream.end(() => {
        this.stream.off('error', onError);
        if (this.failure) reject(this.failure);
        else resolve();
      });
    });
  }

  async abort(error: Error): Promise<void> {
    if (this.closed || this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      this.stream.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      // pg-copy-streams answers destroy() with CopyFail: the server rolls the COPY back.
      this.stream.destroy(error);
    });
  }
}

/** COPY FROM STDIN in text format: the fast path. */
export class CopyStagingWriter implements StagingWriter {
  async open(session: PgSession, stagingTable: string, columns: readonly StagingColumn[]): Promise<StagingStream> {
    if (!session.copyFrom) {
      throw new ConnectorError('bug', 'this database session has no COPY FROM STDIN; use InsertStagingWriter');
    }
    const stream = session.copyFrom(`COPY ${stagingTable} (${columns.map((c) => c.staged).join(', ')}) FROM STDIN`);
    return new CopyStagingStream(stream, columns);
  }
}

/** PostgreSQL takes at most 65535 parameters in one statement. */
const MAX_PARAMETERS = 65_535;

class InsertStagingStream implements StagingStream {
  private readonly rowsPerStatement: number;

  constructor(
    private readonly session: PgSession,
    private readonly stagingTable: string,
    private readonly columns: readonly StagingColumn[],
    maxRowsPerStatement: number,
  ) {
    this.rowsPerStatement = Math.max(1, Math.min(maxRowsPerStatement, Math.floor(MAX_PARAMETERS / columns.length)));
  }

  async write(rows: readonly Row[]): Promise<number> {
    let bytes = 0;
    const width = this.columns.length;
    const names = this.columns.map((c) => c.staged).join(', ');
    for (let start = 0; start < rows.length; start += this.rowsPerStatement) {
      const slice = rows.slice(start, start + this.rowsPerStatement);
      const params: Array<string | null> = [];
      const tuples: string[] = [];
      slice.forEach((row, r) => {
        const placeholders: string[] = [];
        for (let c = 0; c < width; c++) {
          const text = encodeField(this.columns[c], row, start + r);
          params.push(text);
          bytes += text === null ? 0 : Buffer.byteLength(text);
          placeholders.push(`$${params.length}`);
        }
        tuples.push(`(${placeholders.join(', ')})`);
      });
      await this.session.query(`INSERT INTO ${this.stagingTable} (${names}) VALUES ${tuples.join(', ')}`, params);
    }
    return bytes;
  }

  async finish(): Promise<void> {}

  async abort(): Promise<void> {}
}

/** Multi-row INSERTs with parameters: for engines without COPY FROM STDIN (PGlite). */
export class InsertStagingWriter implements StagingWriter {
  constructor(private readonly maxRowsPerStatement = 1000) {}

  async open(session: PgSession, stagingTable: string, columns: readonly StagingColumn[]): Promise<StagingStream> {
    return new InsertStagingStream(session, stagingTable, columns, this.maxRowsPerStatement);
  }
}
