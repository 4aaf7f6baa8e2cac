import { ConnectorError, HttpApiSource, type HttpApiSourceInput, type Row } from '@aoe/connectors';
import { FaultyHttpApi, generateRecords, type ApiPagination, type FaultyHttpApiOptions } from '@aoe/testing';

/** Small backoff so storms pass quickly; Retry-After values come from the API. */
const FAST = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

let api: FaultyHttpApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(options: FaultyHttpApiOptions): Promise<FaultyHttpApi> {
  api = await FaultyHttpApi.start({ rows: 250, pageSize: 100, ...options });
  return api;
}

async function readAll(source: HttpApiSource): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of source.read({ batchSize: 64 })) rows.push(...batch.rows);
  return rows;
}

async function failure(source: HttpApiSource): Promise<ConnectorError> {
  try {
    await readAll(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }
  throw new Error('the read succeeded');
}

function sourceFor(server: FaultyHttpApi, spec: Partial<HttpApiSourceInput> = {}): HttpApiSource {
  return new HttpApiSource({ ...server.sourceSpec(), ...spec }, FAST);
}

const requestsFor = (server: FaultyHttpApi, page: number) => server.requests.filter((r) => r.page === page).length;

describe('FaultyHttpApi: the dataset, in every paging style HttpApiSource speaks', () => {
  it.each<ApiPagination>(['page', 'offset', 'cursor', 'link-header'])(
    '%s paging reads every record once',
    async (p) => {
      const server = await start({ pagination: p });
      expect(await readAll(sourceFor(server))).toEqual(server.records);
      expect(server.requests.length).toBeGreaterThanOrEqual(server.pages);
    },
  );

  it('generates the same records from the same seed, others from another', () => {
    expect(generateRecords(5, 'a')).toEqual(generateRecords(5, 'a'));
    expect(generateRecords(5, 'a')).not.toEqual(generateRecords(5, 'b'));
  });
});

describe('FaultyHttpApi: faults the HTTP source sees', () => {
  it('a 429 storm with Retry-After on page 2: the source waits, retries, and reads every record once', async () => {
    const server = await start({
      faults: [{ page: 2, times: 3, fault: { kind: 'status', status: 429, retryAfter: 0 } }],
    });
    expect(await readAll(sourceFor(server, { maxRetries: 5 }))).toEqual(server.records);
    expect(server.faultCounts()).toEqual({ 'status 429': 3 });
    expect(requestsFor(server, 2)).toBe(4);
    expect(server.pendingFaults()).toBe(0);
  });

  it('a 429 storm longer than the retries: the read fails as rate-limit', async () => {
    const server = await start({
      faults: [{ page: 1, times: 10, fault: { kind: 'status', status: 429, retryAfter: 0 } }],
    });
    const error = await failure(sourceFor(server, { maxRetries: 2 }));
    expect(error.errorClass).toBe('rate-limit');
    expect(error.message).toMatch(/429.*gave up after 3 attempts/);
    expect(server.faultCounts()).toEqual({ 'status 429': 3 });
  });

  it('a Retry-After longer than the source will wait: rate-limit at once, no retry', async () => {
    const server = await start({
      faults: [{ page: 1, times: 1, fault: { kind: 'status', status: 429, retryAfter: 3600 } }],
    });
    const error = await failure(sourceFor(server));
    expect(error.errorClass).toBe('rate-limit');
    expect(server.requests).toHaveLength(1);
  });

  it('500 and 503 storms are retried; a 5xx storm past the retries is transient-network', async () => {
    const server = await start({
      faults: [
        { page: 1, times: 2, fault: { kind: 'status', status: 500 } },
        { page: 3, times: 2, fault: { kind: 'status', status: 503, retryAfter: 0 } },
      ],
    });
    expect(await readAll(sourceFor(server))).toEqual(server.records);
    expect(server.faultCounts()).toEqual({ 'status 500': 2, 'status 503': 2 });

    server.setFaults([{ page: 2, times: 5, fault: { kind: 'status', status: 502 } }]);
    expect((await failure(sourceFor(server, { maxRetries: 1 }))).errorClass).toBe('transient-network');
  });

  it('connection resets are retried; too many are transient-network', async () => {
    const server = await start({ faults: [{ page: 2, times: 2, fault: { kind: 'reset' } }] });
    expect(await readAll(sourceFor(server))).toEqual(server.records);
    expect(server.faultCounts()).toEqual({ reset: 2 });

    server.setFaults([{ times: 5, fault: { kind: 'reset' } }]);
    expect((await failure(sourceFor(server, { maxRetries: 2 }))).errorClass).toBe('transient-network');
  });

  it("an answer slower than the source's timeout is retried; always slow is a timeout", async () => {
    const server = await start({ faults: [{ page: 2, fault: { kind: 'slow', delayMs: 5_000 } }] });
    expect(await readAll(sourceFor(server, { timeoutMs: 1000 }))).toEqual(server.records);
    expect(server.faultCounts()).toEqual({ slow: 1 });

    server.setFaults([{ page: 1, times: 2, fault: { kind: 'slow', delayMs: 5_000 } }]);
    expect((await failure(sourceFor(server, { timeoutMs: 1000, maxRetries: 1 }))).errorClass).toBe('timeout');
  });

  it('a malformed JSON page is data-quality and not retried', async () => {
    const server = await start({ faults: [{ page: 2, fault: { kind: 'malformed-json' } }] });
    const error = await failure(sourceFor(server));
    expect(error.errorClass).toBe('data-quality');
    expect(error.message).toMatch(/did not answer JSON/);
    expect(requestsFor(server, 2)).toBe(1);
  });
});
