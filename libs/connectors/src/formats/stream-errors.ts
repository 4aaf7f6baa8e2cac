import type { ErrorClass } from '@aoe/contracts';
import { ConnectorError } from '../connector-error';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The failure class of an error raised while reading or decoding a stream. */
export function classifyStreamError(error: unknown): ErrorClass {
  if (error instanceof ConnectorError) return error.errorClass;
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (name === 'TimeoutError') return 'timeout';
  if (typeof code === 'string') {
    // csv-parse (CSV_*) and zlib (Z_*) report malformed content.
    if (code.startsWith('CSV_') || code.startsWith('Z_')) return 'data-quality';
    if (NETWORK_CODES.has(code)) return 'transient-network';
    if (code === 'ENOSPC' || code === 'EMFILE' || code === 'ENOMEM') return 'resource-exhaustion';
  }
  return 'unknown';
}

/** Wraps an error with its class and what was being done; a ConnectorError passes through unchanged. */
export function toConnectorError(error: unknown, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectorError(classifyStreamError(error), `${doing}: ${message}`, { cause: error });
}
