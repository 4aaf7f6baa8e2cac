import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { liveLine, silentLine } from '../../backup/live-line';
import { backupStore, restoreStore } from '../../backup/store-backup';
import { backupStreams, restoreStreams, StreamsBackup } from '../../backup/streams-backup';
import { CliError, ExitCode } from '../../errors';
import { type CliIo, writeLine } from '../../io';
import { bytes } from '../../output/format';

const stamp = () =>
  new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function required(io: CliIo, name: 'DATABASE_URL' | 'NATS_URL', what: string): string {
  const value = io.env[name];
  if (!value) throw new CliError(`set ${name} to ${what}`, ExitCode.usage);
  return value;
}

function outFile(io: CliIo, out: string | undefined, fallback: string): string {
  const file = resolve(io.cwd, out ?? fallback);
  if (existsSync(file)) throw new CliError(`${file} exists; choose another --out`, ExitCode.usage);
  return file;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `aoe admin backup [--out FILE]`: the store's schema as a pg_dump custom-format archive. */
export async function backup(options: { out?: string; json?: boolean }, io: CliIo): Promise<number> {
  const url = required(io, 'DATABASE_URL', 'the store to back up');
  const schema = io.env.AOE_STORE_SCHEMA || 'aoe';
  const out = outFile(io, options.out, `aoe-store-${schema}-${stamp()}.dump`);
  const result = await backupStore({
    url,
    schema,
    out,
    env: io.env,
    progress: options.json ? silentLine : liveLine(io.stderr),
  });
  if (options.json) writeLine(io.stdout, JSON.stringify({ ...result, schema }));
  else
    writeLine(
      io.stdout,
      `backed up schema ${schema}: ${result.tables} tables, ${bytes(result.bytes)} in ${seconds(result.durationMs)} -> ${result.file}`,
    );
  return 0;
}

/** `aoe admin restore FILE [--into URL] [--force]`: into DATABASE_URL's database unless told otherwise. */
export async function restore(
  file: string,
  options: { into?: string; force?: boolean; json?: boolean },
  io: CliIo,
): Promise<number> {
  const url = options.into ?? required(io, 'DATABASE_URL', 'the database to restore into (or pass --into)');
  const result = await restoreStore({
    file: resolve(io.cwd, file),
    url,
    force: options.force ?? false,
    env: io.env,
    progress: options.json ? silentLine : liveLine(io.stderr),
  });
  if (options.json) writeLine(io.stdout, JSON.stringify(result));
  else
    writeLine(
      io.stdout,
      `restored ${result.schemas.join(', ') || 'the backup'} into ${result.database}: ${result.tables} tables in ${seconds(result.durationMs)}`,
    );
  return 0;
}

/** `aoe admin streams backup [--out FILE]`: stream and consumer definitions as JSON. */
export async function streamsBackup(options: { out?: string; json?: boolean }, io: CliIo): Promise<number> {
  const natsUrl = required(io, 'NATS_URL', 'the NATS server whose streams to back up');
  const namespace = io.env.AOE_BUS_NAMESPACE ?? '';
  const out = outFile(io, options.out, `aoe-streams-${namespace || 'default'}-${stamp()}.json`);
  const result = await backupStreams(natsUrl, namespace);
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
  const consumers = result.streams.reduce((n, s) => n + s.consumers.length, 0);
  if (options.json) writeLine(io.stdout, JSON.stringify({ file: out, streams: result.streams.length, consumers }));
  else writeLine(io.stdout, `backed up ${result.streams.length} streams and ${consumers} consumers -> ${out}`);
  return 0;
}

/** `aoe admin streams restore FILE [--namespace NS] [--force]`. */
export async function streamsRestore(
  file: string,
  options: { namespace?: string; force?: boolean; json?: boolean },
  io: CliIo,
): Promise<number> {
  const natsUrl = required(io, 'NATS_URL', 'the NATS server to restore the streams on');
  const text = await readFile(resolve(io.cwd, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(
      `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      ExitCode.usage,
    );
  });
  let parsed: StreamsBackup;
  try {
    parsed = StreamsBackup.parse(JSON.parse(text));
  } catch {
    throw new CliError(`${file} is not an aoe streams backup (aoe admin streams backup writes one)`, ExitCode.usage);
  }
  const namespace = options.namespace ?? io.env.AOE_BUS_NAMESPACE ?? parsed.namespace;
  const result = await restoreStreams(natsUrl, parsed, namespace, options.force ?? false);
  if (options.json) writeLine(io.stdout, JSON.stringify(result));
  else writeLine(io.stdout, `restored streams ${result.streams.join(', ')} with ${result.consumers} consumers`);
  return 0;
}
