import type { z } from 'zod';
import type { HttpPagination } from '@aoe/contracts';
import { ConnectorError } from '../connector-error';
import { getPath } from './json-path';

export type Pagination = z.output<typeof HttpPagination>;

/** The next URL from a `Link` header's `rel="next"`, resolved against the page's URL. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  // Each link is `<url>` followed by its `; name=value` parameters, up to the next `<`.
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(match[2] ?? '');
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return new URL(match[1], base).toString();
  }
  return undefined;
}

function withParams(url: string, params: Record<string, string | number>): string {
  const out = new URL(url);
  for (const [key, value] of Object.entries(params)) out.searchParams.set(key, String(value));
  return out.toString();
}

export interface PageResult {
  body: unknown;
  headers: Headers;
  url: string;
  records: number;
}

/**
 * Walks the pages of an API, one URL at a time: `first()` gives the first URL,
 * `next(result)` the following one after a page is loaded, or undefined at the
 * end. Page and offset paging end at an empty (or short) page; cursor paging
 * when the cursor is missing or empty; Link paging when there is no next link.
 * A cursor or link that repeats fails rather than loops.
 */
export class Pager {
  private page: number;
  private offset = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly base: string,
    private readonly pagination: Pagination,
  ) {
    this.page = pagination.type === 'page' ? pagination.firstPage : 0;
  }

  first(): string {
    const p = this.pagination;
    switch (p.type) {
      case 'none':
      case 'cursor':
      case 'link-header':
        return this.base;
      case 'page':
        return withParams(this.base, {
          [p.pageParam]: this.page,
          ...(p.sizeParam && p.pageSize ? { [p.sizeParam]: p.pageSize } : {}),
        });
      case 'offset':
        return withParams(this.base, { [p.offsetParam]: 0, [p.limitParam]: p.limit });
    }
  }

  next(result: PageResult): string | undefined {
    const p = this.pagination;
    switch (p.type) {
      case 'none':
        return undefined;
      case 'page':
        if (result.records === 0 || (p.pageSize !== undefined && result.records < p.pageSize)) return undefined;
        this.page += 1;
        return withParams(this.base, {
          [p.pageParam]: this.page,
          ...(p.sizeParam && p.pageSize ? { [p.sizeParam]: p.pageSize } : {}),
        });
      case 'offset':
        if (result.records < p.limit) return undefined;
        this.offset += result.records;
        return withParams(this.base, { [p.offsetParam]: this.offset, [p.limitParam]: p.limit });
      case 'cursor': {
        const cursor = getPath(result.body, p.cursorPath);
        if (cursor === undefined || cursor === null || cursor === '' || cursor === false) return undefined;
        const value =
          typeof cursor === 'string' || typeof cursor === 'number' || typeof cursor === 'boolean'
            ? String(cursor)
            : JSON.stringify(cursor);
        this.repeatGuard(`cursor ${value}`);
        return withParams(this.base, { [p.cursorParam]: value });
      }
      case 'link-header': {
        const link = nextLink(result.headers.get('link'), result.url);
        if (!link) return undefined;
        this.repeatGuard(link);
        return link;
      }
    }
  }

  private repeatGuard(key: string): void {
    if (this.seen.has(key)) {
      throw new ConnectorError(
        'data-quality',
        `the API returned the same next page twice (${key}); stopping instead of looping`,
      );
    }
    this.seen.add(key);
  }
}
