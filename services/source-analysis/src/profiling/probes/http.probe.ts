import type { HttpApiSource as HttpApiSourceSchema } from '@aoe/contracts';
import {
  ConnectorError,
  DEFAULT_RETRY,
  fetchJson,
  getPath,
  HttpApiSource,
  Pager,
  resolveSecret,
  type HttpApiSourceOptions,
} from '@aoe/connectors';
import type { z } from 'zod';
import type { ProbeContext, ProbeResult } from './source-probe';

export type HttpSpec = z.output<typeof HttpApiSourceSchema>;

/** Where APIs put the number of records across all pages, in the body (top level or one of these objects). */
const TOTAL_KEYS = [
  'total',
  'total_count',
  'totalCount',
  'total_results',
  'totalResults',
  'total_items',
  'totalItems',
  'total_records',
  'totalRecords',
  'total_entries',
  'totalElements',
  'count',
] as const;
const TOTAL_CONTAINERS = [
  '',
  'meta',
  'metadata',
  '_meta',
  'pagination',
  'paging',
  'page',
  'info',
  'hits',
  'result_info',
] as const;
const TOTAL_HEADERS = [
  'x-total-count',
  'x-total',
  'total-count',
  'x-pagination-total-count',
  'x-result-count',
] as const;

function asCount(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  // Elasticsearch: "total": { "value": 1234, "relation": "eq" }
  if (value && typeof value === 'object' && 'value' in value) return asCount(value.value);
  return undefined;
}

/**
 * The total number of records an API states on its first page: a `total`,
 * `total_count`, `totalCount`, `count`, … field at the top level or under
 * `meta`, `pagination`, `paging`, `hits`, …; else an `X-Total-Count`-style
 * header. A `count` smaller than the records on the page is a page count and is ignored.
 */
export function totalHint(
  body: unknown,
  headers: Headers,
  recordsOnPage: number,
): { value: number; from: string } | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const container of TOTAL_CONTAINERS) {
      const holder = container === '' ? body : (body as Record<string, unknown>)[container];
      if (!holder || typeof holder !== 'object' || Array.isArray(holder)) continue;
      for (const key of TOTAL_KEYS) {
        const count = asCount((holder as Record<string, unknown>)[key]);
        if (count === undefined || (key === 'count' && count < recordsOnPage)) continue;
        return { value: count, from: `the API's "${container ? `${container}.` : ''}${key}" field` };
      }
    }
  }
  for (const name of TOTAL_HEADERS) {
    const count = asCount(headers.get(name));
    if (count !== undefined) return { value: count, from: `the API's ${name} header` };
  }
  return undefined;
}

async function authHeaders(spec: HttpSpec): Promise<{ headers: Record<string, string>; secrets: string[] }> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'aoe-source-analysis',
    ...spec.headers,
  };
  const auth = spec.auth;
  if (!auth) return { headers, secrets: [] };
  switch (auth.type) {
    case 'bearer': {
      const token = await resolveSecret(auth.token);
      headers.authorization = `Bearer ${token}`;
      return { headers, secrets: [token] };
    }
    case 'api-key': {
      const value = await resolveSecret(auth.value);
      headers[auth.header.toLowerCase()] = value;
      return { headers, secrets: [value] };
    }
    case 'basic': {
      const password = await resolveSecret(auth.password);
      const encoded = Buffer.from(`${auth.username}:${password}`).toString('base64');
      headers.authorization = `Basic ${encoded}`;
      return { headers, secrets: [password, encoded] };
    }
  }
}

/** A 404 or 410 is a source that is not there (the connector reports other 4xx as unknown). */
function notFound(error: unknown): unknown {
  if (
    error instanceof ConnectorError &&
    error.errorClass === 'unknown' &&
    / answered (404|410)\b/.test(error.message)
  ) {
    return new ConnectorError('schema-drift', error.message);
  }
  return error;
}

/**
 * An HTTP JSON API: the first page is fetched once more than the sample needs,
 * to read a total the API states (body field or header) and the charset; the
 * records are sampled through the connector, page by page, until the bound.
 */
export async function probeHttp(
  spec: HttpSpec,
  context: ProbeContext & { http?: HttpApiSourceOptions },
): Promise<ProbeResult> {
  const { headers, secrets } = await authHeaders(spec);
  const first = await fetchJson(new Pager(spec.url, spec.pagination).first(), headers, {
    timeoutMs: spec.timeoutMs,
    retry: { ...DEFAULT_RETRY, ...context.http?.retry, maxRetries: Math.min(spec.maxRetries, 2) },
    secrets,
    ...(context.signal ? { signal: context.signal } : {}),
  }).catch((error: unknown) => {
    throw notFound(error);
  });
  const found = spec.recordsPath ? getPath(first.body, spec.recordsPath) : first.body;
  const onPage = Array.isArray(found) ? found.length : found && typeof found === 'object' ? 1 : 0;
  const total = totalHint(first.body, first.headers, onPage);
  const charset = /charset=([^;]+)/i
    .exec(first.headers.get('content-type') ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  const single = spec.pagination.type === 'none';
  return {
    sampler: new HttpApiSource(spec, context.http),
    format: 'json',
    encoding: charset === 'utf8' || !charset ? 'utf-8' : charset,
    textValues: false,
    spreadSample: false,
    ...(total ? { rowCount: total } : single ? { rowCount: { value: onPage, from: 'the single response' } } : {}),
    close: async () => undefined,
  };
}
