import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import type { z } from 'zod';
import { FileSource as FileSourceSchema } from '@aoe/contracts';
import type { Batch, CheckResult, ReadOptions, SourceConnector, StreamSchema } from '../connector';
import { ConnectorError } from '../connector-error';
import { openCsvPassThrough } from '../formats/csv-pass-through';
import { ObjectCursor, OBJECT_CURSOR_COLUMN } from '../formats/object-cursor';
import type { PassThroughReader, PassThroughRequest, PassThroughSource } from '../pass-through';
import { readObjects, sampleObject } from '../formats/object-reader';
import type { ObjectReadSpec, SourceObject } from '../formats/record-stream';
import { toConnectorError } from '../formats/stream-errors';
import { listFiles, type ListedFile } from './file-listing';

export type FileSourceSpec = z.output<typeof FileSourceSchema>;
export type FileSourceInput = z.input<typeof FileSourceSchema>;

export interface FileSourceOptions {
  /** Relative paths and globs resolve here (default: the process's working directory). */
  cwd?: string;
  /** Rows `discover()` samples to infer column types (default 1000). */
  sampleRows?: number;
}

/**
 * Local CSV, JSON Lines and Parquet files (optionally gzip-compressed): one
 * file, a directory, or a glob read file after file in path order. Positions
 * are `<file>:<line>` (`orders.csv:17`, the line the record starts on) or
 * `<file>:<row>` for Parquet. With a cursor, reads only files modified since.
 */
export class FileSource implements SourceConnector, PassThroughSource {
  readonly kind = 'file';
  readonly spec: FileSourceSpec;
  private readonly cwd: string;
  private readonly sampleRows: number;

  constructor(spec: FileSourceInput, options: FileSourceOptions = {}) {
    this.spec = FileSourceSchema.parse(spec);
    this.cwd = options.cwd ?? process.cwd();
    this.sampleRows = options.sampleRows ?? 1000;
  }

  async check(): Promise<CheckResult> {
    const { files, base } = await listFiles(this.spec.path, this.cwd);
    if (files.length === 0) return { ok: false, message: `no file matches "${this.spec.path}" (looked in ${base})` };
    try {
      await access(files[0].path, constants.R_OK);
    } catch (error) {
      return { ok: false, message: `cannot read ${files[0].path}: ${(error as Error).message}` };
    }
    return { ok: true };
  }

  async discover(): Promise<StreamSchema[]> {
    const files = await this.files();
    const sampled = await sampleObject(this.toSource(files[0]), this.readSpec(), this.sampleRows);
    return [{ name: this.spec.path, columns: sampled.columns }];
  }

  async *read(options: ReadOptions): AsyncGenerator<Batch> {
    const files = await this.files();
    yield* readObjects(files, (file) => this.toSource(file), this.readSpec(), options);
  }

  /**
   * The pass-through fast path (a full read of one UTF-8 CSV file with a
   * header naming `request.columns`): its bytes, checked as they stream, for
   * `COPY … FROM STDIN (FORMAT csv, HEADER)`. Undefined otherwise.
   */
  async passThrough(request: PassThroughRequest): Promise<PassThroughReader | undefined> {
    const files = await this.files();
    if (files.length !== 1) return undefined;
    const [file] = files;
    const cursor = new ObjectCursor(OBJECT_CURSOR_COLUMN);
    return openCsvPassThrough(
      // Large reads: the bytes are not decoded here, so fewer, bigger chunks cost less.
      {
        name: file.key,
        localPath: file.path,
        open: async () => createReadStream(file.path, { highWaterMark: 1 << 20 }),
      },
      this.readSpec(),
      request,
      () => {
        cursor.complete(file);
        return cursor.state();
      },
    );
  }

  private async files(): Promise<ListedFile[]> {
    const { files, base } = await listFiles(this.spec.path, this.cwd).catch((error: unknown) => {
      throw toConnectorError(error, `cannot list "${this.spec.path}"`);
    });
    if (files.length === 0)
      throw new ConnectorError('unknown', `no file matches "${this.spec.path}" (looked in ${base})`);
    return files;
  }

  private toSource(file: ListedFile): SourceObject {
    return { name: file.key, localPath: file.path, open: async () => createReadStream(file.path) };
  }

  private readSpec(): ObjectReadSpec {
    return { format: this.spec.format, compression: this.spec.compression, csv: this.spec.csv };
  }
}
