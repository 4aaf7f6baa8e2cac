import { scrubText } from '@aoe/telemetry';
import { CliError, ExitCode } from '../errors';

/**
 * How pg_dump and pg_restore reach a database without the password on their
 * command line (where `ps` shows it to every user): the URL goes in argv with
 * its password removed, the password goes in the child's PGPASSWORD.
 */
export interface PgConnection {
  /** The URL without its password, safe for argv, logs and messages. */
  url: string;
  /** Environment for the child process (PGPASSWORD when the URL carried one). */
  env: NodeJS.ProcessEnv;
  /** The database name, for messages. */
  database: string;
  /** Removes the password (and any URL credentials) from a text. */
  redact(text: string): string;
}

export function pgConnection(rawUrl: string, env: NodeJS.ProcessEnv): PgConnection {
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new CliError('the database URL is not a URL (postgres://user@host:5432/db)', ExitCode.usage);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new CliError(
      `backup and restore need a PostgreSQL URL (postgres://…), not ${parsed.protocol}//`,
      ExitCode.usage,
    );
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  const childEnv: NodeJS.ProcessEnv = { ...env, PGAPPNAME: 'aoe-admin' };
  if (password !== undefined) childEnv.PGPASSWORD = password;
  const secrets = [password, env.PGPASSWORD].filter((s): s is string => !!s && s.length > 0);
  return {
    url: parsed.toString(),
    env: childEnv,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)',
    redact: (text) => secrets.reduce((out, secret) => out.replaceAll(secret, '[redacted]'), scrubText(text)),
  };
}
