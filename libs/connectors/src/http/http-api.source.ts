import type { z } from 'zod';
import { HttpApiSource as HttpApiSourceSchema } from '@aoe/contracts';
import type { Batch, CheckResult, ReadOptions, SourceConnector, StreamSchema } from '../connector';
import { ConnectorError } from '../connector-error';
import { BatchBuilder } from '../formats/decoded-record';
import { inferColumns } from '../formats/type-inference';
import { resolveSecret } from '../secrets';
import { DEFAULT_RETRY, fetchJson, type FetchedJson, type FetcherOptions, type RetryPolicy } from './http-fetcher';
import { getPath } from './json-path';
import { Pager } from './pagination';
import { toRow } from './record-shape';

export type HttpApiSourceSpec = z.output<typeof HttpApiSourceSchema>;
export type HttpApiSourceInput = z.input<typeof HttpApiSourceSchema>;

export interface HttpApiSourceOptions {
  /** Backoff and Retry-After bounds (the number of retries comes from the spec's `maxRetries`). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** Stops a runaway API (default 100,000 pages). */
  maxPages?: number;
  /** Injectable waits and randomness, for tests. */
  sleep?: FetcherOptions['sleep'];
  random?: FetcherOptions['random'];
}

/**
 * A JSON HTTP API read page after page (GET only). Records are found at
 * `recordsPath` (a dotted path such as `data.items`; without one, an array
 * body is the records and an object body is one record). Nested objects stay
 * JSON values, or with `nested: "flatten"` become `parent_child` columns.
 * Positions are `page <n> #<i>`. Credentials come from secret references and
 * appear in no log and no error.
 */
export class HttpApiSource implements SourceConnector {
  readonly kind = 'http-api';
  readonly spec: HttpApiSourceSpec;

  constructor(
    spec: HttpApiSourceInput,
    private readonly options: HttpApiSourceOptions = {},
  ) {
    this.spec = HttpApiSourceSchema.parse(spec);
  }

  async check(): Promise<CheckResult> {
    try {
      const { fetch, pager } = await this.session();
      await fetch(pager.first());
      return { ok: true };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }

  async discover(): Promise<StreamSchema[]> {
    const { fetch, pager } = await this.session();
    const page = await fetch(pager.first());
    const rows = this.records(page, 1).map((item) => toRow(item, this.spec.nested));
    return [{ name: this.spec.url, columns: inferColumns(rows) }];
  }

  async *read(options: ReadOptions): AsyncGenerator<Batch> {
    const { fetch, pager } = await this.session(options.signal);
    const builder = new BatchBuilder(Math.max(1, options.batchSize));
    const maxPages = this.options.maxPages ?? 100_000;
    let bytes = 0;
    let url: string | undefined = pager.first();
    for (let pageNumber = 1; url !== undefined; pageNumber++) {
      if (pageNumber > maxPages) {
        throw new ConnectorError(
          'data-quality',
          `more than ${maxPages} pages; raise maxPages if the API is that large`,
        );
      }
      const page = await fetch(url);
      bytes += page.bytes;
      const items = this.records(page, pageNumber);
      for (let i = 0; i < items.length; i++) {
        builder.add({ row: toRow(items[i], this.spec.nested), position: `page ${pageNumber} #${i + 1}` });
        if (builder.full) {
          yield builder.take(bytes);
          bytes = 0;
        }
      }
      url = pager.next({ body: page.body, headers: page.headers, url: page.url, records: items.length });
    }
    if (!builder.empty || bytes > 0) yield builder.take(bytes);
  }

  /** The records of one page. A missing recordsPath fails on the first page and ends paging on later ones. */
  private records(page: FetchedJson, pageNumber: number): unknown[] {
    const path = this.spec.recordsPath;
    const found = path ? getPath(page.body, path) : page.body;
    if (found === undefined || found === null) {
      if (path && found === undefined && pageNumber === 1) {
        throw new ConnectorError('schema-drift', `the response of ${this.spec.url} has no "${path}"`);
      }
      return [];
    }
    if (Array.isArray(found)) return found;
    if (typeof found === 'object') return [found];
    throw new ConnectorError(
      'schema-drift',
      `"${path ?? '(body)'}" in the response of ${this.spec.url} is a ${typeof found}, not records`,
    );
  }

  private async session(signal?: AbortSignal): Promise<{ fetch: (url: string) => Promise<FetchedJson>; pager: Pager }> {
    const { headers, secrets } = await this.headers();
    const fetcherOptions: FetcherOptions = {
      timeoutMs: this.spec.timeoutMs,
      retry: { ...DEFAULT_RETRY, ...this.options.retry, maxRetries: this.spec.maxRetries },
      secrets,
      ...(signal ? { signal } : {}),
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
    };
    return {
      fetch: (url) => fetchJson(url, headers, fetcherOptions),
      pager: new Pager(this.spec.url, this.spec.pagination),
    };
  }

  private async headers(): Promise<{ headers: Record<string, string>; secrets: string[] }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'aoe-connectors',
      ...this.spec.headers,
    };
    const auth = this.spec.auth;
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
}
