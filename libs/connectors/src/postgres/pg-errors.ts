import type { ErrorClass } from '@aoe/contracts';
import { ConnectorError } from '../connector-error';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  // admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now
  '57P01',
  '57P02',
  '57P03',
  // serialization_failure and deadlock_detected: the same statement succeeds when retried
  '40001',
  '40P01',
]);

const AUTH_CODES = new Set(['28000', '28P01', '42501']);
const DRIFT_CODES = new Set(['42P01', '42703', '3F000', '42P10', '42804']);

function stringProperty(error: unknown, key: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value = (error as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** The failure class of an error from pg, PGlite or the socket under them. */
export function classifyPgError(error: unknown): ErrorClass {
  if (error instanceof ConnectorError) return error.errorClass;
  const code = stringProperty(error, 'code');
  const message = stringProperty(error, 'message') ?? '';
  if (code !== undefined) {
    if (AUTH_CODES.has(code)) return 'auth';
    if (NETWORK_CODES.has(code) || code.startsWith('08')) return 'transient-network';
    if (code === '57014' || code === '55P03') return 'timeout';
    if (code.startsWith('53') || code.startsWith('54')) return 'resource-exhaustion';
    if (DRIFT_CODES.has(code)) return 'schema-drift';
    if (code.startsWith('22') || code.startsWith('23')) return 'data-quality';
    if (code.startsWith('42') || code.startsWith('0A')) return 'bug';
  }
  if (/SASL|password/i.test(message)) return 'auth';
  if (/timeout|timed out/i.test(message)) return 'timeout';
  if (/Connection terminated|connection.*(closed|ended)|socket|ECONNRESET|not queryable/i.test(message)) {
    return 'transient-network';
  }
  return 'unknown';
}

export interface ErrorContext {
  /** Where: `postgres://host:port/db`, never with credentials. */
  location: string;
  /** Values that must never appear in a message (resolved passwords). */
  secrets?: readonly string[];
}

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.replaceAll(secret, '[redacted]');
  return out;
}

/** A ConnectorError with a class, the location and the server's message, with every secret removed. */
export function toConnectorError(error: unknown, context: ErrorContext): ConnectorError {
  if (error instanceof ConnectorError) {
    const clean = redact(error.message, context.secrets);
    return clean === error.message ? error : new ConnectorError(error.errorClass, clean);
  }
  const errorClass = classifyPgError(error);
  const code = stringProperty(error, 'code');
  const raw = stringProperty(error, 'message') ?? String(error);
  const detail = stringProperty(error, 'detail');
  const hint = errorClass === 'auth' ? ' (check the user and the password reference in the connection)' : '';
  const text = `${context.location}: ${raw}${detail ? ` (${detail})` : ''}${code ? ` [${code}]` : ''}${hint}`;
  // The original error stays as the cause only when it cannot carry a secret.
  const cause = errorClass === 'auth' ? undefined : error;
  return new ConnectorError(errorClass, redact(text, context.secrets), { cause });
}
