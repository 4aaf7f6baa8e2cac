import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CliError, ExitCode } from '../errors';
import { bytes } from '../output/format';
import type { LiveLine } from './live-line';
import { pgConnection, type PgConnection } from './pg-connection';
import { runPgTool } from './pg-process';
import { probeServer } from './pg-server';
import { findPgTool } from './pg-tools';

export interface BackupResult {
  file: string;
  bytes: number;
  tables: number;
  durationMs: number;
  pgDump: string;
}

/** "pg_dump: dumping contents of table "aoe.runs"" → aoe.runs */
const DUMPING_TABLE = /dumping contents of table "([^"]+)"/;
/** "pg_restore: processing data for table "aoe.runs"" → aoe.runs */
const RESTORING_TABLE = /processing data for table "([^"]+)"/;

/**
 * Dumps the store's schema in PostgreSQL's custom format (`pg_dump -Fc`,
 * compressed, restorable table by table). The dump is written next to `out`
 * and renamed when complete, so a failed dump never leaves a file that looks
 * like a backup.
 */
export async function backupStore(options: {
  url: string;
  schema: string;
  out: string;
  env: NodeJS.ProcessEnv;
  progress: LiveLine;
}): Promise<BackupResult> {
  const started = Date.now();
  const connection = pgConnection(options.url, options.env);
  const server = await probeServer(options.url, connection);
  if (!server.relationsBySchema.has(options.schema)) {
    throw new CliError(
      `database ${connection.database} has no store in schema "${options.schema}" (set AOE_STORE_SCHEMA)`,
      ExitCode.failed,
    );
  }
  const tool = await findPgTool('pg_dump', server.major, options.env);
  const partial = `${options.out}.partial`;
  const file = createWriteStream(partial, { mode: 0o600 });
  let written = 0;
  let tables = 0;
  let current = '';
  const show = () => options.progress.update(`backing up ${current || options.schema}… ${bytes(written)} written`);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      show();
      done(null, chunk);
    },
  });
  counter.pipe(file);
  try {
    await runPgTool({
      path: tool.path,
      args: ['--format=custom', '--verbose', `--schema=${options.schema}`, `--dbname=${connection.url}`],
      connection,
      stdout: counter,
      what: 'backup',
      onLine: (line) => {
        const table = DUMPING_TABLE.exec(line)?.[1];
        if (table) {
          tables++;
          current = table;
          show();
        }
      },
    });
    await finished(file);
    await rename(partial, options.out);
  } catch (error) {
    file.destroy();
    await rm(partial, { force: true });
    throw error;
  } finally {
    options.progress.end();
  }
  return { file: options.out, bytes: written, tables, durationMs: Date.now() - started, pgDump: tool.path };
}

export interface RestoreResult {
  database: string;
  schemas: string[];
  tables: number;
  durationMs: number;
  pgRestore: string;
}

async function assertCustomDump(file: string): Promise<void> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(
      `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      ExitCode.usage,
    );
  });
  try {
    const head = Buffer.alloc(5);
    await handle.read(head, 0, 5, 0);
    if (head.toString('latin1') !== 'PGDMP') {
      throw new CliError(
        `${file} is not a PostgreSQL custom-format dump (aoe admin backup writes one)`,
        ExitCode.usage,
      );
    }
  } finally {
    await handle.close();
  }
}

/** The schemas and the number of tables with data in a custom-format dump (`pg_restore --list`). */
async function listDump(
  path: string,
  file: string,
  connection: PgConnection,
): Promise<{ schemas: string[]; tables: number }> {
  let text = '';
  await runPgTool({
    path,
    args: ['--list', file],
    connection,
    what: 'reading the backup',
    stdout: new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
  });
  const lines = text.split('\n');
  // "216; 2615 16385 SCHEMA - aoe postgres" and "3390; 0 16400 TABLE DATA aoe runs postgres"
  const schemas = lines.map((l) => /^\d+; \d+ \d+ SCHEMA - (\S+)/.exec(l)?.[1]).filter((s): s is string => !!s);
  const tables = lines.filter((l) => /^\d+; \d+ \d+ TABLE DATA /.test(l)).length;
  return { schemas, tables };
}

/**
 * Restores a custom-format dump in one transaction: either every object and
 * row of the backup is there afterwards, or nothing changed. Into an empty
 * database unless `force`, which replaces the objects the dump holds.
 */
export async function restoreStore(options: {
  file: string;
  url: string;
  force: boolean;
  env: NodeJS.ProcessEnv;
  progress: LiveLine;
}): Promise<RestoreResult> {
  const started = Date.now();
  await assertCustomDump(options.file);
  const connection = pgConnection(options.url, options.env);
  const server = await probeServer(options.url, connection);
  const occupied = [...server.relationsBySchema];
  if (occupied.length > 0 && !options.force) {
    const summary = occupied.map(([schema, n]) => `${schema} (${n})`).join(', ');
    throw new CliError(
      `database ${connection.database} is not empty: ${summary}; restore into an empty database, or pass --force to replace the backup's objects`,
      ExitCode.failed,
    );
  }
  const tool = await findPgTool('pg_restore', server.major, options.env);
  const dump = await listDump(tool.path, options.file, connection);
  let done = 0;
  const args = [
    `--dbname=${connection.url}`,
    '--no-owner',
    '--no-privileges',
    '--exit-on-error',
    '--single-transaction',
    '--verbose',
    ...(options.force ? ['--clean', '--if-exists'] : []),
    options.file,
  ];
  try {
    await runPgTool({
      path: tool.path,
      args,
      connection,
      what: 'restore',
      onLine: (line) => {
        const table = RESTORING_TABLE.exec(line)?.[1];
        if (!table) return;
        done++;
        options.progress.update(`restoring ${table}… ${done}/${dump.tables} tables`);
      },
    });
  } finally {
    options.progress.end();
  }
  return {
    database: connection.database,
    schemas: dump.schemas,
    tables: done,
    durationMs: Date.now() - started,
    pgRestore: tool.path,
  };
}
