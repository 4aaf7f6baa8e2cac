import { Client } from 'pg';
import { CliError, ExitCode } from '../errors';
import type { PgConnection } from './pg-connection';

/** What backup and restore need to know about the server before they start. */
export interface PgServer {
  major: number;
  /** Relations outside the system schemas, per schema. */
  relationsBySchema: Map<string, number>;
}

const USER_RELATIONS = `
SELECT n.nspname AS schema, count(*)::int AS relations
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
 GROUP BY n.nspname ORDER BY n.nspname`;

/** Connects once (the password stays in this process), reads the server version and what the database holds. */
export async function probeServer(rawUrl: string, connection: PgConnection): Promise<PgServer> {
  const client = new Client({
    connectionString: rawUrl,
    application_name: 'aoe-admin',
    connectionTimeoutMillis: 15_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const relations = await client.query<{ schema: string; relations: number }>(USER_RELATIONS);
    return {
      major: Math.floor(Number(version.rows[0].server_version_num) / 10_000),
      relationsBySchema: new Map(relations.rows.map((r) => [r.schema, r.relations])),
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(
      connection.redact(
        `cannot connect to ${connection.url}: ${message}${typeof code === 'string' ? ` [${code}]` : ''}`,
      ),
      ExitCode.unreachable,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
