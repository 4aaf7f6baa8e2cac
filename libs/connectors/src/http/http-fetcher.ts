import { setTimeout as wait } from 'node:timers/promises';
import type { ErrorClass } from '@aoe/contracts';
import { ConnectorError } from '../connector-error';

/**
 * GET with the retry policy declared in one place: 429 and 503 wait what
 * Retry-After says (seconds or an HTTP date); other 5xx, network errors and
 * timeouts back off exponentially with jitter; 401/403 and other 4xx fail at
 * once. When retries run out the ConnectorError carries the class of the last
 * failure (rate-limit, transient-network, timeout). Secrets never reach a
 * message: every known secret value is redacted from response excerpts.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Backoff before retry n is about baseDelayMs·2ⁿ (half fixed, half random), capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails as rate-limit at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'maxRetries'> = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

export interface FetchedJson {
  body: unknown;
  headers: Headers;
  /** Bytes of the response body. */
  bytes: number;
  url: string;
}

export interface FetcherOptions {
  timeoutMs: number;
  retry: RetryPolicy;
  /** Secret values to redact from any message. */
  secrets: string[];
  signal?: AbortSignal;
  /** Injectable for tests: waits `ms` (default: a timer that the signal cancels). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

class Retryable extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Parses Retry-After: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function backoffDelay(attempt: number, policy: Omit<RetryPolicy, 'maxRetries'>, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await wait(ms, undefined, { signal });
}

export function redactor(secrets: string[]): (text: string) => string {
  const values = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => values.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

const NETWORK_HINT =
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|socket|network|terminated|other side closed/i;

function describeNetworkError(error: unknown): string {
  const { cause, message } = (error ?? {}) as { cause?: { code?: string; message?: string }; message?: string };
  return cause?.code ?? cause?.message ?? message ?? String(error);
}

export async function fetchJson(
  url: string,
  headers: Record<string, string>,
  options: FetcherOptions,
): Promise<FetchedJson> {
  const redact = redactor(options.secrets);
  const sleep = options.sleep ?? defaultSleep;
  const shown = redact(url);
  for (let attempt = 0; ; attempt++) {
    let failure: Retryable;
    try {
      return await attemptFetch(url, headers, options, redact);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof ConnectorError) throw error;
      const classified = error instanceof Retryable ? error : classifyFetchError(error, shown, options.timeoutMs);
      if (classified instanceof ConnectorError) throw classified;
      failure = classified;
    }
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > options.retry.maxRetryAfterMs) {
      throw new ConnectorError(
        failure.errorClass,
        `${failure.message}; the server asks to wait ${Math.ceil(failure.retryAfterMs / 1000)} s, more than the ${Math.ceil(options.retry.maxRetryAfterMs / 1000)} s allowed`,
      );
    }
    if (attempt >= options.retry.maxRetries) {
      throw new ConnectorError(
        failure.errorClass,
        `${failure.message} (gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`,
      );
    }
    await sleep(failure.retryAfterMs ?? backoffDelay(attempt, options.retry, options.random), options.signal);
  }
}

function classifyFetchError(error: unknown, url: string, timeoutMs: number): Retryable | ConnectorError {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError') return new Retryable('timeout', `GET ${url} timed out after ${timeoutMs} ms`);
  const detail = describeNetworkError(error);
  if (error instanceof TypeError || NETWORK_HINT.test(detail)) {
    return new Retryable('transient-network', `GET ${url} failed: ${detail}`);
  }
  return new ConnectorError('unknown', `GET ${url} failed: ${detail}`, { cause: error });
}

async function attemptFetch(
  url: string,
  headers: Record<string, string>,
  options: FetcherOptions,
  redact: (text: string) => string,
): Promise<FetchedJson> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const response = await fetch(url, { headers, signal, redirect: 'follow' });
  const text = await response.text();
  const shown = redact(url);
  if (!response.ok) {
    const excerpt = redact(text.slice(0, 200)).replace(/\s+/g, ' ').trim();
    const message = `GET ${shown} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`;
    const status = response.status;
    if (status === 401 || status === 403) throw new ConnectorError('auth', message);
    if (status === 429)
      throw new Retryable('rate-limit', message, parseRetryAfter(response.headers.get('retry-after')));
    if (status === 503) {
      throw new Retryable('transient-network', message, parseRetryAfter(response.headers.get('retry-after')));
    }
    if (status >= 500) throw new Retryable('transient-network', message);
    throw new ConnectorError('unknown', message);
  }
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch (error) {
    throw new ConnectorError('data-quality', `GET ${shown} did not answer JSON: ${(error as Error).message}`);
  }
  return { body, headers: response.headers, bytes: Buffer.byteLength(text), url: response.url || url };
}
