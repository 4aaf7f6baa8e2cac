import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import type { HttpApiSource } from '@aoe/contracts';
import { seededRandom } from './seeded-random';

/** What one faulty answer is. */
export type HttpFault =
  /** An error status with a JSON body, and `Retry-After` (seconds, or an HTTP date) when given. */
  | { kind: 'status'; status: number; retryAfter?: number | string }
  /** The right page, `delayMs` late: longer than the client's timeout, it is a timeout. */
  | { kind: 'slow'; delayMs: number }
  /** The connection is reset before any answer (ECONNRESET at the client). */
  | { kind: 'reset' }
  /** 200 with half a JSON document. */
  | { kind: 'malformed-json' };

export interface HttpFaultRule {
  fault: HttpFault;
  /** The page it hits (1-based, in reading order); any request when absent. */
  page?: number;
  /** How many requests it hits (default 1): consecutive retries of one page make a storm. */
  times?: number;
}

/** The paging styles of `HttpApiSource`, as this API speaks them. */
export type ApiPagination = 'page' | 'offset' | 'cursor' | 'link-header';

export interface FaultyHttpApiOptions {
  /** The dataset; default: `rows` generated records `{ id, name, amount, updated_at }` from `seed`. */
  records?: Array<Record<string, unknown>>;
  rows?: number;
  seed?: string;
  /** Records per page (default 100). */
  pageSize?: number;
  pagination?: ApiPagination;
  faults?: HttpFaultRule[];
}

export interface ApiRequestLog {
  page: number;
  path: string;
  /** The fault served, as `status 429`, `slow`, `reset` or `malformed-json`; absent for a good page. */
  fault?: string;
}

export type HttpApiSourceInput = z.input<typeof HttpApiSource>;

/** Deterministic records for a dataset of `rows` rows. */
export function generateRecords(rows: number, seed = 'faulty-http-api'): Array<Record<string, unknown>> {
  const random = seededRandom(seed);
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  return Array.from({ length: rows }, (_, i) => ({
    id: i + 1,
    name: `item ${i + 1}`,
    amount: Math.round(random() * 100_000) / 100,
    updated_at: new Date(start + i * 60_000).toISOString(),
  }));
}

interface ActiveRule extends HttpFaultRule {
  remaining: number;
}

/**
 * A real JSON API (node:http on 127.0.0.1) serving a paginated dataset the
 * way `HttpApiSource` reads it, with a programmable fault schedule: 429 and
 * 5xx storms, slow answers, connection resets, malformed pages. Rules are
 * matched in order against each request's page; the schedule is data, so a
 * seeded benchmark replays it exactly.
 */
export class FaultyHttpApi {
  readonly records: Array<Record<string, unknown>>;
  readonly pageSize: number;
  readonly pagination: ApiPagination;
  readonly requests: ApiRequestLog[] = [];
  private rules: ActiveRule[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly server: Server;
  private base = '';

  private constructor(options: FaultyHttpApiOptions) {
    this.records = options.records ?? generateRecords(options.rows ?? 250, options.seed);
    this.pageSize = options.pageSize ?? 100;
    this.pagination = options.pagination ?? 'page';
    this.setFaults(options.faults ?? []);
    this.server = createServer((request, response) => this.handle(request, response));
  }

  static async start(options: FaultyHttpApiOptions = {}): Promise<FaultyHttpApi> {
    const api = new FaultyHttpApi(options);
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    api.base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    return api;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.base;
  }

  /** Replaces the fault schedule (rules already spent are forgotten). */
  setFaults(rules: HttpFaultRule[]): void {
    this.rules = rules.map((rule) => ({ ...rule, remaining: rule.times ?? 1 }));
  }

  addFaults(rules: HttpFaultRule[]): void {
    this.rules.push(...rules.map((rule) => ({ ...rule, remaining: rule.times ?? 1 })));
  }

  /** Faults scheduled but not served yet. */
  pendingFaults(): number {
    return this.rules.reduce((sum, rule) => sum + rule.remaining, 0);
  }

  /** Pages a full read takes (the last one may be empty: page-number paging stops at a short page). */
  get pages(): number {
    return Math.ceil(this.records.length / this.pageSize);
  }

  /** Faults served so far, by label (`status 429`, `reset`, …). */
  faultCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) if (r.fault) counts[r.fault] = (counts[r.fault] ?? 0) + 1;
    return counts;
  }

  /** A spec `HttpApiSource` reads this API with. */
  sourceSpec(overrides: Partial<HttpApiSourceInput> = {}): HttpApiSourceInput {
    const paginations = {
      page: { type: 'page', pageParam: 'page', sizeParam: 'per_page', pageSize: this.pageSize },
      offset: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: this.pageSize },
      cursor: { type: 'cursor', cursorPath: 'next_cursor', cursorParam: 'cursor' },
      'link-header': { type: 'link-header' },
    } as const;
    return {
      kind: 'http-api',
      url: `${this.url}/records`,
      recordsPath: 'data',
      pagination: paginations[this.pagination],
      ...overrides,
    };
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    if (url.pathname !== '/records') {
      this.json(response, 404, { error: `no route ${url.pathname}` });
      return;
    }
    const offset = this.offsetOf(url);
    const page = Math.floor(offset / this.pageSize) + 1;
    const log: ApiRequestLog = { page, path: `${url.pathname}${url.search}` };
    this.requests.push(log);
    const rule = this.rules.find((r) => r.remaining > 0 && (r.page === undefined || r.page === page));
    if (rule) {
      rule.remaining--;
      this.serveFault(rule.fault, log, request, response, offset);
      return;
    }
    this.servePage(response, offset);
  }

  /** Where the requested page starts in the dataset, from whichever paging style is spoken. */
  private offsetOf(url: URL): number {
    const number = (name: string, fallback: number): number => {
      const value = Number(url.searchParams.get(name) ?? fallback);
      return Number.isInteger(value) && value >= 0 ? value : fallback;
    };
    switch (this.pagination) {
      case 'page':
      case 'link-header':
        return (Math.max(1, number('page', 1)) - 1) * this.pageSize;
      case 'offset':
        return number('offset', 0);
      case 'cursor':
        return number('cursor', 0);
    }
  }

  private serveFault(
    fault: HttpFault,
    log: ApiRequestLog,
    request: IncomingMessage,
    response: ServerResponse,
    offset: number,
  ): void {
    switch (fault.kind) {
      case 'status': {
        log.fault = `status ${fault.status}`;
        const headers: Record<string, string> =
          fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
        this.json(response, fault.status, { error: `injected ${fault.status}` }, headers);
        return;
      }
      case 'slow': {
        log.fault = 'slow';
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.servePage(response, offset);
        }, fault.delayMs);
        this.timers.add(timer);
        return;
      }
      case 'reset':
        log.fault = 'reset';
        request.socket.resetAndDestroy();
        return;
      case 'malformed-json': {
        log.fault = 'malformed-json';
        const text = JSON.stringify(this.pageBody(offset).body);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(text.slice(0, Math.floor(text.length / 2)));
        return;
      }
    }
  }

  private pageBody(offset: number): { body: Record<string, unknown>; headers: Record<string, string> } {
    const data = this.records.slice(offset, offset + this.pageSize);
    const next = offset + this.pageSize;
    const more = next < this.records.length;
    switch (this.pagination) {
      case 'cursor':
        return { body: { data, next_cursor: more ? String(next) : null }, headers: {} };
      case 'link-header': {
        const link = `</records?page=${next / this.pageSize + 1}>; rel="next"`;
        return { body: { data }, headers: more ? { link } : {} };
      }
      case 'page':
      case 'offset':
        return { body: { data }, headers: {} };
    }
  }

  private servePage(response: ServerResponse, offset: number): void {
    const { body, headers } = this.pageBody(offset);
    this.json(response, 200, body, headers);
  }

  private json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }
}
