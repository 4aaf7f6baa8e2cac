import type { ClassifiedError, ErrorClass } from '@aoe/contracts';
import { ConnectorError } from '@aoe/connectors';
import { EvaluationError, ExpressionError } from './expression/expression-error';
import {
  CancelledError,
  CastError,
  DataQualityError,
  InjectedFaultError,
  PlanError,
  ResourceLimitError,
} from './errors';

/**
 * THE table: every kind of failure the engine can recognise, its class, and
 * whether running the task again can help. Handlers never decide this
 * themselves (after Temporal's `nonRetryableErrorTypes`).
 */
export const ERROR_KINDS = {
  'data-quality': { class: 'data-quality', retryable: false },
  'plan-invalid': { class: 'bug', retryable: false },
  'plan-schema-drift': { class: 'schema-drift', retryable: false },
  'expression-invalid': { class: 'bug', retryable: false },
  'resource-limit': { class: 'resource-exhaustion', retryable: false },
  cancelled: { class: 'unknown', retryable: false },
  'injected-fault': { class: 'transient-network', retryable: true },
  network: { class: 'transient-network', retryable: true },
  timeout: { class: 'timeout', retryable: true },
  'rate-limit': { class: 'rate-limit', retryable: true },
  auth: { class: 'auth', retryable: false },
  'out-of-memory': { class: 'resource-exhaustion', retryable: true },
  'disk-full': { class: 'resource-exhaustion', retryable: false },
  'too-many-connections': { class: 'resource-exhaustion', retryable: true },
  'pg-schema': { class: 'schema-drift', retryable: false },
  'pg-data': { class: 'data-quality', retryable: false },
  'pg-bug': { class: 'bug', retryable: false },
  programming: { class: 'bug', retryable: false },
  unknown: { class: 'unknown', retryable: true },
} as const satisfies Record<string, { class: ErrorClass; retryable: boolean }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** Retry by class, for errors that arrive already classified (ConnectorError). */
export const RETRYABLE_BY_CLASS: Readonly<Record<ErrorClass, boolean>> = {
  'transient-network': true,
  timeout: true,
  'rate-limit': true,
  auth: false,
  'schema-drift': false,
  'data-quality': false,
  'resource-exhaustion': true,
  bug: false,
  unknown: true,
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Which row of the table an error belongs to, and its code when it has one. */
export function errorKindOf(error: unknown): { kind: ErrorKind; code?: string } {
  if (error instanceof DataQualityError || error instanceof CastError || error instanceof EvaluationError) {
    return { kind: 'data-quality', code: error.code };
  }
  if (error instanceof PlanError)
    return { kind: error.isSchemaDrift ? 'plan-schema-drift' : 'plan-invalid', code: error.code };
  if (error instanceof ExpressionError) {
    return { kind: error.onlyUnknownColumns ? 'plan-schema-drift' : 'expression-invalid', code: error.code };
  }
  if (error instanceof ResourceLimitError) return { kind: 'resource-limit', code: error.code };
  if (error instanceof CancelledError) return { kind: 'cancelled', code: error.code };
  if (error instanceof InjectedFaultError) return { kind: 'injected-fault', code: error.code };
  // Duck-typed rather than `instanceof Error`: errors from another realm (DOMException, a VM context) are errors too.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string')
    return { kind: 'unknown' };
  const e = error as Error;

  const name = e.name;
  if (name === 'AbortError') return { kind: 'cancelled', code: 'ABORT_ERR' };
  if (name === 'TimeoutError') return { kind: 'timeout', code: 'TIMEOUT_ERR' };

  const rawCode = (e as { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  if (code && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E')) {
    const pg = postgresKind(code);
    if (pg) return { kind: pg, code };
  }
  if (code && NETWORK_CODES.has(code)) return { kind: 'network', code };
  if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', code };
  if (code === 'ENOMEM') return { kind: 'out-of-memory', code };
  if (code === 'ENOSPC') return { kind: 'disk-full', code };
  if (code === 'EMFILE' || code === 'ENFILE') return { kind: 'too-many-connections', code };
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'auth', code };

  const status = httpStatusOf(e);
  if (status !== undefined) {
    if (status === 429) return { kind: 'rate-limit', code: String(status) };
    if (status === 401 || status === 403) return { kind: 'auth', code: String(status) };
    if (status === 408 || status === 504) return { kind: 'timeout', code: String(status) };
    if (status >= 500) return { kind: 'network', code: String(status) };
  }

  if (name === 'RangeError' && /allocation|array length|heap|memory/i.test(e.message)) {
    return { kind: 'out-of-memory' };
  }
  if (/connection terminated|connection (was )?(closed|reset)|socket hang up/i.test(e.message)) {
    return { kind: 'network', code };
  }
  if (/timed? ?out|timeout/i.test(e.message)) return { kind: 'timeout', code };
  if (name === 'TypeError' || name === 'ReferenceError' || name === 'SyntaxError') {
    return { kind: 'programming', code };
  }
  return { kind: 'unknown', code };
}

/** SQLSTATE to kind; agrees with the postgres connector's own classification (classifyPgError). */
function postgresKind(sqlstate: string): ErrorKind | undefined {
  switch (sqlstate) {
    case '40001': // serialization_failure: the same statement succeeds when retried
    case '40P01': // deadlock_detected
    case '57P01': // admin_shutdown
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now
      return 'network';
    case '57014': // query_canceled (statement_timeout)
    case '55P03': // lock_not_available
      return 'timeout';
    case '53100':
      return 'disk-full';
    case '53300':
      return 'too-many-connections';
    case '28000':
    case '28P01':
    case '42501': // insufficient_privilege
      return 'auth';
    case '42P01': // undefined_table
    case '42703': // undefined_column
    case '3F000': // invalid_schema_name
    case '42P10': // invalid_column_reference
    case '42804': // datatype_mismatch
      return 'pg-schema';
    default:
      break;
  }
  switch (sqlstate.slice(0, 2)) {
    case '08':
      return 'network';
    case '28':
      return 'auth';
    case '22':
    case '23':
      return 'pg-data';
    case '42':
    case '0A':
      return 'pg-bug';
    case '53':
    case '54':
      return 'out-of-memory';
    default:
      return undefined;
  }
}

function httpStatusOf(error: Error): number | undefined {
  const e = error as { status?: unknown; statusCode?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = e.status ?? e.statusCode ?? e.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 100 && status < 600 ? status : undefined;
}

/**
 * The one mapping from an error to its class and whether a retry can help.
 * A ConnectorError keeps the class its connector gave it.
 */
export function classifyError(error: unknown): ClassifiedError {
  const message =
    typeof error === 'object' && error !== null && typeof (error as Error).message === 'string'
      ? (error as Error).message
      : String(error);
  if (isConnectorError(error)) {
    const code = (error as { code?: unknown }).code;
    return {
      class: error.errorClass,
      message,
      ...(typeof code === 'string' ? { code } : {}),
      retryable: RETRYABLE_BY_CLASS[error.errorClass],
    };
  }
  const { kind, code } = errorKindOf(error);
  const entry = ERROR_KINDS[kind];
  return { class: entry.class, message, ...(code ? { code } : {}), retryable: entry.retryable };
}

const ERROR_CLASSES = new Set<string>(Object.keys(RETRYABLE_BY_CLASS));

/** `instanceof`, or the same shape from another copy of the module. */
function isConnectorError(error: unknown): error is ConnectorError {
  if (error instanceof ConnectorError) return true;
  const e = error as { name?: unknown; errorClass?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.name === 'ConnectorError' &&
    typeof e.errorClass === 'string' &&
    ERROR_CLASSES.has(e.errorClass)
  );
}
