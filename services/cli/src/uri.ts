import { basename, extname } from 'node:path';
import { SourceSpec, TargetSpec, type TableRef } from '@aoe/contracts';

/** A command-line argument that names no source or target we know. */
export class UriError extends Error {
  override readonly name = 'UriError';
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Sources on the command line: a file path or glob, `s3://bucket/prefix`,
 * `postgres://user@host:port/db#schema.table`, `http(s)://...`.
 * Passwords come from PGPASSWORD (the libpq variable), never from the URI.
 */
export function parseSourceUri(uri: string, env: NodeJS.ProcessEnv = process.env): SourceSpec {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
    case 'file':
      return SourceSpec.parse({ kind: 'file', path: scheme ? uri.replace(/^file:\/\//i, '') : uri });
    case 's3': {
      const { bucket, prefix } = splitS3(uri);
      const glob = /[*?[\]{}]/.test(prefix) ? prefix : undefined;
      return SourceSpec.parse({
        kind: 's3',
        bucket,
        prefix: glob ? prefix.slice(0, prefix.search(/[*?[\]{}]/)) : prefix,
        ...(glob ? { glob } : {}),
        ...s3Options(env),
      });
    }
    case 'postgres':
    case 'postgresql': {
      const { connection, table } = splitPostgres(uri, env);
      return SourceSpec.parse({ kind: 'postgres', connection, table });
    }
    case 'http':
    case 'https':
      return SourceSpec.parse({ kind: 'http-api', url: uri });
    default:
      throw new UriError(`unknown URI scheme "${scheme}://" (use a path, s3://, postgres:// or http(s)://)`);
  }
}

/**
 * Targets: `postgres://...#schema.table`, `s3://bucket/prefix`, a directory;
 * none means a table in the embedded warehouse named after the source.
 */
export function parseTargetUri(
  uri: string | undefined,
  source: SourceSpec,
  env: NodeJS.ProcessEnv = process.env,
): TargetSpec {
  if (uri === undefined)
    return TargetSpec.parse({ kind: 'warehouse', table: { schema: 'public', name: tableNameFor(source) } });
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
    case 'file':
      return TargetSpec.parse({ kind: 'directory', path: uri.replace(/^file:\/\//i, '') });
    case 's3':
      return TargetSpec.parse({ kind: 's3', ...splitS3(uri), ...s3Options(env) });
    case 'postgres':
    case 'postgresql': {
      const { connection, table } = splitPostgres(uri, env);
      return TargetSpec.parse({
        kind: 'postgres',
        connection,
        table: table ?? { schema: 'public', name: tableNameFor(source) },
      });
    }
    default:
      throw new UriError(`unknown target scheme "${scheme}://" (use postgres://, s3:// or a directory)`);
  }
}

/** A warehouse table name from a source: the file, object prefix, table or endpoint name. */
export function tableNameFor(source: SourceSpec): string {
  const raw = ((): string => {
    switch (source.kind) {
      case 'file':
        return basename(source.path.replace(/\*.*$/, '').replace(/\/$/, '') || 'files', extname(source.path));
      case 's3':
        return basename(source.prefix.replace(/\/$/, '')) || source.bucket;
      case 'postgres':
        return source.table?.name ?? 'query_result';
      case 'http-api':
        return basename(new URL(source.url).pathname) || new URL(source.url).hostname;
    }
  })();
  const name = raw
    .replace(/\.(gz|csv|jsonl|ndjson|parquet|json)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z_]/.test(name) ? name.slice(0, 63) : `t_${name}`.slice(0, 63);
}

function splitS3(uri: string): { bucket: string; prefix: string } {
  const rest = uri.replace(/^s3:\/\//i, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!bucket) throw new UriError(`"${uri}" names no bucket`);
  return { bucket, prefix: slash < 0 ? '' : rest.slice(slash + 1) };
}

function s3Options(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return {
    ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3 } : {}),
    ...(env.AOE_S3_FORCE_PATH_STYLE === 'true' ? { forcePathStyle: true } : {}),
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: { accessKeyId: { env: 'AWS_ACCESS_KEY_ID' }, secretAccessKey: { env: 'AWS_SECRET_ACCESS_KEY' } },
        }
      : {}),
  };
}

function splitPostgres(uri: string, env: NodeJS.ProcessEnv): { connection: Record<string, unknown>; table?: TableRef } {
  const hash = uri.indexOf('#');
  const url = hash < 0 ? uri : uri.slice(0, hash);
  const fragment = hash < 0 ? '' : decodeURIComponent(uri.slice(hash + 1));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UriError(`"${url}" is not a valid postgres:// URL`);
  }
  if (parsed.password) {
    throw new UriError('put the password in PGPASSWORD, not in the URI (it would end up in shell history and logs)');
  }
  const connection = { url, ...(env.PGPASSWORD !== undefined ? { password: { env: 'PGPASSWORD' } } : {}) };
  if (!fragment) return { connection };
  const dot = fragment.indexOf('.');
  const table =
    dot < 0 ? { schema: 'public', name: fragment } : { schema: fragment.slice(0, dot), name: fragment.slice(dot + 1) };
  if (!table.name) throw new UriError(`"#${fragment}" names no table`);
  return { connection, table };
}
