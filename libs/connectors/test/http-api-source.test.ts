import { HttpApiSource, type ConnectorError } from '../src';
import { json, startApi, type TestApi } from './fixtures/http-server';
import { collect } from './fixtures/support';

const ITEMS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }));
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const countOf = (path: string): number => api!.requests.filter((r) => r.path === path).length;

describe('HttpApiSource pagination', () => {
  it('page numbers, ending at a short page', async () => {
    api = await startApi((_req, url, res) => {
      const page = Number(url.searchParams.get('page'));
      const size = Number(url.searchParams.get('per_page'));
      json(res, { data: { items: ITEMS.slice((page - 1) * size, page * size) } });
    });
    const source = new HttpApiSource({
      kind: 'http-api',
      url: `${api.url}/items?status=open`,
      recordsPath: 'data.items',
      pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', pageSize: 3 },
    });
    expect(await source.check()).toEqual({ ok: true });
    api.requests.length = 0;
    const out = await collect(source, { batchSize: 2 });
    expect(out.rows).toEqual(ITEMS);
    expect(out.positions.slice(0, 4)).toEqual(['page 1 #1', 'page 1 #2', 'page 1 #3', 'page 2 #1']);
    expect(api.requests.map((r) => r.path)).toEqual([
      '/items?status=open&page=1&per_page=3',
      '/items?status=open&page=2&per_page=3',
      '/items?status=open&page=3&per_page=3',
    ]);
    expect(out.bytes).toBeGreaterThan(0);
  });

  it('page numbers without a page size, ending at an empty page', async () => {
    api = await startApi((_req, url, res) => {
      const page = Number(url.searchParams.get('p'));
      json(res, ITEMS.slice(page * 4, page * 4 + 4));
    });
    const source = new HttpApiSource({
      kind: 'http-api',
      url: `${api.url}/list`,
      pagination: { type: 'page', pageParam: 'p', firstPage: 0 },
    });
    expect((await collect(source)).rows).toEqual(ITEMS);
    expect(api.requests).toHaveLength(3);
  });

  it('offset and limit', async () => {
    api = await startApi((_req, url, res) => {
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      json(res, { results: ITEMS.slice(offset, offset + limit) });
    });
    const source = new HttpApiSource({
      kind: 'http-api',
      url: `${api.url}/o`,
      recordsPath: 'results',
      pagination: { type: 'offset', limit: 3 },
    });
    expect((await collect(source)).rows).toEqual(ITEMS);
    expect(api.requests.map((r) => r.path)).toEqual([
      '/o?offset=0&limit=3',
      '/o?offset=3&limit=3',
      '/o?offset=6&limit=3',
    ]);
  });

  it('a cursor in the body', async () => {
    api = await startApi((_req, url, res) => {
      const at = Number(url.searchParams.get('after') ?? '0');
      const next = at + 3 < ITEMS.length ? String(at + 3) : null;
      json(res, { records: ITEMS.slice(at, at + 3), paging: { next } });
    });
    const source = new HttpApiSource({
      kind: 'http-api',
      url: `${api.url}/c`,
      recordsPath: 'records',
      pagination: { type: 'cursor', cursorPath: 'paging.next', cursorParam: 'after' },
    });
    expect((await collect(source)).rows).toEqual(ITEMS);
    expect(api.requests.map((r) => r.path)).toEqual(['/c', '/c?after=3', '/c?after=6']);
  });

  it('a cursor that repeats fails instead of looping', async () => {
    api = await startApi((_req, _url, res) => json(res, { records: [{ id: 1 }], next: 'same' }));
    const source = new HttpApiSource({
      kind: 'http-api',
      url: `${api.url}/loop`,
      recordsPath: 'records',
      pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'c' },
    });
    await expect(collect(source)).rejects.toMatchObject({ errorClass: 'data-quality' });
  });

  it('the Link header (absolute and relative next links)', async () => {
    api = await startApi((_req, url, res) => {
      const page = Number(url.searchParams.get('page') ?? '1');
      const links: Record<number, string> = {
        1: `<${api!.url}/l?page=2>; rel="next", <${api!.url}/l?page=3>; rel="last"`,
        2: '</l?page=3>; rel="next"',
      };
      json(res, ITEMS.slice((page - 1) * 3, page * 3), 200, links[page] ? { link: links[page] } : {});
    });
    const source = new HttpApiSource({ kind: 'http-api', url: `${api.url}/l`, pagination: { type: 'link-header' } });
    expect((await collect(source)).rows).toEqual(ITEMS);
    expect(api.requests.map((r) => r.path)).toEqual(['/l', '/l?page=2', '/l?page=3']);
  });
});

describe('HttpApiSource retries', () => {
  it('honours 429 Retry-After, retries a 500, and loads every page exactly once', async () => {
    const answers: Record<string, number[]> = { '2': [429, 500] };
    api = await startApi((_req, url, res) => {
      const page = url.searchParams.get('page')!;
      const status = answers[page]?.shift();
      if (status === 429) return json(res, { error: 'slow down' }, 429, { 'retry-after': '1' });
      if (status === 500) return json(res, { error: 'oops' }, 500);
      json(res, { items: ITEMS.slice((Number(page) - 1) * 3, Number(page) * 3) });
    });
    const source = new HttpApiSource(
      {
        kind: 'http-api',
        url: `${api.url}/r`,
        recordsPath: 'items',
        pagination: { type: 'page', pageSize: 3 },
        maxRetries: 3,
      },
      fast,
    );
    const out = await collect(source);
    expect(out.rows).toEqual(ITEMS);
    expect([1, 2, 3].map((p) => countOf(`/r?page=${p}`))).toEqual([1, 3, 1]);
    const page2 = api.requests.filter((r) => r.path === '/r?page=2');
    // The retry after the 429 waited the second the server asked for.
    expect(page2[1].at - page2[0].at).toBeGreaterThanOrEqual(950);
  });

  it('waits until a Retry-After HTTP date, and gives up as rate-limit when retries run out', async () => {
    api = await startApi((_req, _url, res) =>
      json(res, {}, 429, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }),
    );
    const waits: number[] = [];
    const source = new HttpApiSource(
      { kind: 'http-api', url: `${api.url}/limited`, maxRetries: 2 },
      { sleep: async (ms) => void waits.push(ms) },
    );
    const error = (await collect(source).catch((e: unknown) => e)) as ConnectorError;
    expect(error).toMatchObject({ name: 'ConnectorError', errorClass: 'rate-limit' });
    expect(error.message).toMatch(/answered 429.*gave up after 3 attempts/);
    expect(waits).toHaveLength(2);
    for (const ms of waits) {
      expect(ms).toBeGreaterThan(25_000);
      expect(ms).toBeLessThanOrEqual(30_000);
    }
    // A wait longer than allowed is not waited for at all.
    const impatient = new HttpApiSource(
      { kind: 'http-api', url: `${api.url}/limited` },
      { retry: { maxRetryAfterMs: 5_000 } },
    );
    await expect(collect(impatient)).rejects.toThrow(/asks to wait 30 s, more than the 5 s allowed/);
  });

  it('times out slow answers (class timeout) and backs off on refused connections (transient-network)', async () => {
    api = await startApi(async (_req, _url, res) => {
      // Answers after a second, unless the client has gone by then.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        res.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (!res.destroyed) json(res, []);
    });
    const slow = new HttpApiSource({ kind: 'http-api', url: `${api.url}/slow`, timeoutMs: 100, maxRetries: 1 }, fast);
    await expect(collect(slow)).rejects.toMatchObject({
      errorClass: 'timeout',
      message: expect.stringContaining('timed out after 100 ms'),
    });
    expect(api.requests).toHaveLength(2);

    const closed = await startApi(() => undefined);
    const url = closed.url;
    await closed.close();
    const refused = new HttpApiSource({ kind: 'http-api', url: `${url}/gone`, maxRetries: 2 }, fast);
    await expect(collect(refused)).rejects.toMatchObject({
      errorClass: 'transient-network',
      message: expect.stringMatching(/ECONNREFUSED.*gave up after 3 attempts/),
    });
  });

  it('does not retry other client errors and reports a body that is not JSON', async () => {
    api = await startApi((_req, url, res) => {
      if (url.pathname === '/missing') return json(res, { error: 'nope' }, 404);
      res.end('<html>not json</html>');
    });
    await expect(
      collect(new HttpApiSource({ kind: 'http-api', url: `${api.url}/missing` }, fast)),
    ).rejects.toMatchObject({
      errorClass: 'unknown',
      message: expect.stringContaining('answered 404'),
    });
    expect(api.requests).toHaveLength(1);
    await expect(collect(new HttpApiSource({ kind: 'http-api', url: `${api.url}/html` }, fast))).rejects.toMatchObject({
      errorClass: 'data-quality',
    });
  });
});

describe('HttpApiSource auth', () => {
  const TOKEN = 'tok-3f9a1c77e2b54d0e';

  beforeEach(() => {
    process.env.AOE_TEST_API_TOKEN = TOKEN;
  });
  afterEach(() => {
    delete process.env.AOE_TEST_API_TOKEN;
  });

  it('sends a bearer token, an api-key header and basic credentials', async () => {
    api = await startApi((_req, _url, res) => json(res, [{ ok: true }]));
    const token = { env: 'AOE_TEST_API_TOKEN' };
    await collect(new HttpApiSource({ kind: 'http-api', url: `${api.url}/a`, auth: { type: 'bearer', token } }));
    await collect(
      new HttpApiSource({
        kind: 'http-api',
        url: `${api.url}/b`,
        auth: { type: 'api-key', header: 'X-Api-Key', value: token },
        headers: { 'X-Tenant': 'acme' },
      }),
    );
    await collect(
      new HttpApiSource({
        kind: 'http-api',
        url: `${api.url}/c`,
        auth: { type: 'basic', username: 'etl', password: token },
      }),
    );
    const [a, b, c] = api.requests;
    expect(a.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(b.headers['x-api-key']).toBe(TOKEN);
    expect(b.headers['x-tenant']).toBe('acme');
    expect(c.headers.authorization).toBe(`Basic ${Buffer.from(`etl:${TOKEN}`).toString('base64')}`);
  });

  it('a 401 is an auth error whose message never shows the token, even when the server echoes it', async () => {
    api = await startApi((req, _url, res) =>
      json(res, { error: 'invalid token', got: req.headers.authorization }, 401),
    );
    const source = new HttpApiSource({
      kind: 'http-api',
      url: `${api.url}/secure`,
      auth: { type: 'bearer', token: { env: 'AOE_TEST_API_TOKEN' } },
    });
    const error = (await collect(source).catch((e: unknown) => e)) as ConnectorError;
    expect(error).toMatchObject({ name: 'ConnectorError', errorClass: 'auth' });
    expect(error.message).toContain('answered 401');
    expect(error.message).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(api.requests).toHaveLength(1); // auth failures are not retried
    expect(await source.check()).toEqual({ ok: false, message: error.message });
  });
});

describe('HttpApiSource records', () => {
  const BODY = {
    data: [
      { id: 1, user: { name: 'a', address: { city: 'Oslo' } }, tags: ['x'], at: '2024-01-01T00:00:00Z' },
      { id: 2, user: { name: 'b', address: { city: null } }, tags: [], at: '2024-01-02T00:00:00Z', user_name: 'dup' },
      7,
    ],
  };

  it('flattens nested objects into parent_child columns, keeping a parent whole when names would collide', async () => {
    api = await startApi((_req, _url, res) => json(res, BODY));
    const source = new HttpApiSource({ kind: 'http-api', url: `${api.url}/n`, recordsPath: 'data', nested: 'flatten' });
    const out = await collect(source);
    expect(out.rows).toEqual([
      { id: 1, user_name: 'a', user_address_city: 'Oslo', tags: ['x'], at: '2024-01-01T00:00:00Z' },
      { id: 2, user: { name: 'b', address: { city: null } }, tags: [], at: '2024-01-02T00:00:00Z', user_name: 'dup' },
      { value: 7 },
    ]);
    const [schema] = await source.discover();
    expect(schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['user_name', 'string'],
      ['user_address_city', 'string'],
      ['tags', 'json'],
      ['at', 'timestamptz'],
      ['user', 'json'],
      ['value', 'integer'],
    ]);
  });

  it('keeps nested objects as JSON by default, and says when recordsPath is not in the response', async () => {
    api = await startApi((_req, _url, res) => json(res, BODY));
    const kept = await collect(new HttpApiSource({ kind: 'http-api', url: `${api.url}/n`, recordsPath: 'data' }));
    expect(kept.rows[0]).toEqual(BODY.data[0]);
    const wrong = new HttpApiSource({ kind: 'http-api', url: `${api.url}/n`, recordsPath: 'data.items' });
    await expect(collect(wrong)).rejects.toMatchObject({
      errorClass: 'schema-drift',
      message: expect.stringContaining('"data.items"'),
    });
  });
});
