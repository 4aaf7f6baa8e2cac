import { z } from 'zod';
import { Identifier, TableRef } from './common';
import { hasInlinePassword, secretRefField } from './secret-ref';

export const PostgresConnection = z
  .strictObject({
    /** `postgres://user@host:port/db`; a password in the URL is refused. */
    url: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    database: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: secretRefField().optional(),
    ssl: z.enum(['disable', 'require', 'verify-full']).optional(),
  })
  .superRefine((conn, ctx) => {
    if (conn.url && hasInlinePassword(conn.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'the URL embeds a password; give it as "password": { "env": "NAME" } instead',
      });
    }
    if (!conn.url && !conn.host) ctx.addIssue({ code: 'custom', message: 'give a url or a host' });
  });
export type PostgresConnection = z.infer<typeof PostgresConnection>;

export const PostgresSource = z
  .strictObject({
    kind: z.literal('postgres'),
    connection: PostgresConnection,
    table: TableRef.optional(),
    query: z.string().min(1).optional(),
  })
  .refine((s) => Boolean(s.table) !== Boolean(s.query), { message: 'give exactly one of table or query' });

export const FileFormat = z.enum(['auto', 'csv', 'jsonl', 'parquet']);
export const Compression = z.enum(['auto', 'none', 'gzip']);

export const CsvOptions = z.strictObject({
  delimiter: z.string().min(1).max(4).optional(),
  header: z.boolean().default(true),
  encoding: z.enum(['utf-8', 'latin1', 'utf-16le']).default('utf-8'),
  nullValues: z.array(z.string()).optional(),
});

export const S3Source = z.strictObject({
  kind: z.literal('s3'),
  bucket: z.string().min(3).max(63),
  prefix: z.string().default(''),
  glob: z.string().optional(),
  format: FileFormat.default('auto'),
  compression: Compression.default('auto'),
  csv: CsvOptions.optional(),
  region: z.string().optional(),
  endpoint: z.url().optional(),
  forcePathStyle: z.boolean().optional(),
  credentials: z.strictObject({ accessKeyId: secretRefField(), secretAccessKey: secretRefField() }).optional(),
});

export const HttpAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: secretRefField() }),
  z.strictObject({ type: z.literal('api-key'), header: z.string().min(1), value: secretRefField() }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), password: secretRefField() }),
]);

export const HttpPagination = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('page'),
    pageParam: z.string().default('page'),
    sizeParam: z.string().optional(),
    pageSize: z.number().int().positive().optional(),
    firstPage: z.number().int().min(0).default(1),
  }),
  z.strictObject({
    type: z.literal('offset'),
    offsetParam: z.string().default('offset'),
    limitParam: z.string().default('limit'),
    limit: z.number().int().positive().default(100),
  }),
  z.strictObject({ type: z.literal('cursor'), cursorPath: z.string().min(1), cursorParam: z.string().min(1) }),
  z.strictObject({ type: z.literal('link-header') }),
]);

export const HttpApiSource = z
  .strictObject({
    kind: z.literal('http-api'),
    url: z.url(),
    auth: HttpAuth.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    recordsPath: z.string().optional(),
    pagination: HttpPagination.default({ type: 'none' }),
    nested: z.enum(['flatten', 'json']).default('json'),
    timeoutMs: z.number().int().positive().max(300_000).default(30_000),
    maxRetries: z.number().int().min(0).max(20).default(5),
  })
  .superRefine((s, ctx) => {
    if (hasInlinePassword(s.url)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'the URL embeds a password' });
    for (const name of Object.keys(s.headers ?? {})) {
      if (/^(authorization|proxy-authorization|x-api-key|cookie)$/i.test(name)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: `"${name}" carries a credential; use auth` });
      }
    }
  });

export const FileSource = z.strictObject({
  kind: z.literal('file'),
  /** A path or a glob (`data/*.csv`). */
  path: z.string().min(1),
  format: FileFormat.default('auto'),
  compression: Compression.default('auto'),
  csv: CsvOptions.optional(),
});

export const SourceSpec = z.discriminatedUnion('kind', [PostgresSource, S3Source, HttpApiSource, FileSource]);
export type SourceSpec = z.infer<typeof SourceSpec>;
export type SourceKind = SourceSpec['kind'];

/** A source as registered in the platform. */
export const SourceRegistration = z.strictObject({
  name: Identifier.optional(),
  spec: SourceSpec,
});
export type SourceRegistration = z.infer<typeof SourceRegistration>;
