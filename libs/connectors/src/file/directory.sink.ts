import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import type { z } from 'zod';
import { TargetSpec } from '@aoe/contracts';
import type { Batch, CheckResult, SinkConnector, WriteOptions, WriteResult } from '../connector';
import { ConnectorError } from '../connector-error';
import { isObsoletePart, partName, safeRunId } from '../formats/part-files';
import { assertFileLoadMode, writeParts, type PartTarget } from '../formats/part-writer';
import { toConnectorError } from '../formats/stream-errors';

export type DirectoryTargetSpec = Extract<z.output<typeof TargetSpec>, { kind: 'directory' }>;
export type DirectoryTargetInput = Extract<z.input<typeof TargetSpec>, { kind: 'directory' }>;

export interface PartSinkOptions {
  /** A new part file is started after this many rows (default 1,000,000). */
  maxRowsPerPart?: number;
  /** Parquet rows per row group (default 8192). */
  rowGroupSize?: number;
}

/**
 * Writes CSV, JSON Lines or Parquet part files into a local directory.
 *
 * Each part is written as `.tmp-<runId>-<n>.<ext>` and renamed to
 * `part-<runId>-<n>.<ext>` only once every part of the load is complete, so a
 * reader never sees half a load. Re-running a run replaces that run's parts
 * (idempotent append); `replace` removes the other runs' parts after the new
 * ones are in place. `merge` is refused: a directory has no keys.
 */
export class DirectorySink implements SinkConnector {
  readonly kind = 'directory';
  readonly spec: DirectoryTargetSpec;

  constructor(
    spec: DirectoryTargetInput,
    private readonly options: PartSinkOptions & { cwd?: string } = {},
  ) {
    const parsed = TargetSpec.parse(spec);
    if (parsed.kind !== 'directory')
      throw new ConnectorError('bug', `a DirectorySink needs a directory target, not ${parsed.kind}`);
    this.spec = parsed;
  }

  private get directory(): string {
    return resolve(this.options.cwd ?? process.cwd(), this.spec.path);
  }

  async check(): Promise<CheckResult> {
    // The directory, or the nearest existing parent it would be created in, must be a writable directory.
    let path = this.directory;
    for (;;) {
      const info = await stat(path).catch(() => undefined);
      if (info) {
        if (!info.isDirectory()) return { ok: false, message: `${path} exists and is not a directory` };
        try {
          await access(path, constants.W_OK);
          return { ok: true };
        } catch {
          return { ok: false, message: `cannot write to ${path}` };
        }
      }
      const parent = dirname(path);
      if (parent === path) return { ok: false, message: `no existing parent directory for ${this.directory}` };
      path = parent;
    }
  }

  async write(batches: AsyncIterable<Batch>, options: WriteOptions): Promise<WriteResult> {
    assertFileLoadMode(options.mode, `directory ${this.directory}`);
    const dir = this.directory;
    const format = this.spec.format;
    const tmpPrefix = `.tmp-${safeRunId(options.runId)}-`;
    try {
      await mkdir(dir, { recursive: true });
      await this.removeWhere(dir, (name) => name.startsWith(tmpPrefix));
    } catch (error) {
      throw toConnectorError(error, `cannot prepare ${dir}`);
    }
    const tmpPath = (index: number): string => join(dir, `${tmpPrefix}${index}.${format}`);

    let written;
    try {
      written = await writeParts(
        batches,
        options,
        { format, maxRowsPerPart: this.options.maxRowsPerPart ?? 1_000_000, rowGroupSize: this.options.rowGroupSize },
        async (index): Promise<PartTarget> => {
          const path = tmpPath(index);
          const out = createWriteStream(path);
          return {
            out,
            done: () => finished(out),
            abort: async () => {
              out.destroy();
              await rm(path, { force: true });
            },
          };
        },
      );
    } catch (error) {
      await this.removeWhere(dir, (name) => name.startsWith(tmpPrefix)).catch(() => undefined);
      throw error instanceof ConnectorError ? error : toConnectorError(error, `cannot write to ${dir}`);
    }

    try {
      for (let index = 0; index < written.parts; index++) {
        await rename(tmpPath(index), join(dir, partName(options.runId, index, format)));
      }
      const commit = { runId: options.runId, parts: written.parts, format, replace: options.mode === 'replace' };
      await this.removeWhere(dir, (name) => isObsoletePart(name, commit));
    } catch (error) {
      throw toConnectorError(error, `cannot commit the parts in ${dir}`);
    }
    return { rowsWritten: written.rows, bytesWritten: written.bytes, location: dir };
  }

  private async removeWhere(dir: string, predicate: (name: string) => boolean): Promise<void> {
    const names = await readdir(dir);
    await Promise.all(names.filter(predicate).map((name) => rm(join(dir, name), { force: true })));
  }
}
