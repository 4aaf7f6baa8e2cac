import type { Batch, Row, SourceConnector } from '@aoe/connectors';
import { sampleSource } from './bounded-sample';
import { columnStats } from './column-stats';
import { estimateDistinct } from './distinct-estimate';
import { detectEncoding, inspectHead } from './head-inspection';
import { cursorCandidates, primaryKeyCandidates, type ProfiledColumn } from './keys';
import { detectPii, luhnValid, nameWords } from './pii';
import { profileLimits, profileLimitsFromEnv } from './profile-limits';
import { totalHint } from './probes/http.probe';
import { rowTextBytes, uncompressedSize } from './row-size';
import { gzipSync } from 'node:zlib';

describe('estimateDistinct (Haas–Stokes Duj1)', () => {
  it('scales an all-unique sample to the population and keeps repeated values at d', () => {
    expect(estimateDistinct({ sampled: 1000, distinct: 1000, singletons: 1000, population: 1_000_000 })).toBe(
      1_000_000,
    );
    expect(estimateDistinct({ sampled: 1000, distinct: 3, singletons: 0, population: 1_000_000 })).toBe(3);
    const mixed = estimateDistinct({ sampled: 1000, distinct: 600, singletons: 400, population: 100_000 });
    expect(mixed).toBeGreaterThan(600);
    expect(mixed).toBeLessThan(100_000);
  });

  it('is exact for a whole population and zero for no values', () => {
    expect(estimateDistinct({ sampled: 50, distinct: 20, singletons: 5, population: 50 })).toBe(20);
    expect(estimateDistinct({ sampled: 0, distinct: 0, singletons: 0, population: 10 })).toBe(0);
  });
});

describe('detectPii', () => {
  it('reports values alone from exactly the threshold share on', () => {
    const emails = (matching: number) => [
      ...Array.from({ length: matching }, (_, i) => `user${i}@example.com`),
      ...Array.from({ length: 100 - matching }, (_, i) => `not an address ${i}`),
    ];
    expect(detectPii('payload', 'string', emails(80))).toEqual([
      { kind: 'email', evidence: 'values', confidence: 0.76 },
    ]);
    expect(detectPii('payload', 'string', emails(79))).toEqual([]);
    // A name that suggests the kind counts every value: a low share halves the name's weight.
    expect(detectPii('email', 'string', emails(20))).toEqual([{ kind: 'email', evidence: 'name', confidence: 0.35 }]);
  });

  it('knows card numbers by Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('41x1')).toBe(false);
    expect(detectPii('payload', 'string', ['4111 1111 1111 1111', '5500-0000-0000-0004'])).toEqual([
      { kind: 'card-number', evidence: 'values', confidence: 0.95 },
    ]);
  });

  it('reads names as words and leaves look-alikes alone', () => {
    expect(nameWords('customerEmailAddress')).toBe('customer email address');
    expect(nameWords('IP_ADDRESS')).toBe('ip address');
    expect(detectPii('emailCount', 'integer', ['3'])).toEqual([]);
    expect(detectPii('name', 'string', ['Widget'])).toEqual([
      { kind: 'person-name', evidence: 'name', confidence: 0.4 },
    ]);
    expect(detectPii('ssn', 'string', ['123-45-6789', '234-56-7890'])[0]).toMatchObject({
      kind: 'national-id',
      evidence: 'name-and-values',
    });
    expect(detectPii('street_address', 'string', ['1 Main St'])).toEqual([
      { kind: 'address', evidence: 'name', confidence: 0.5 },
    ]);
  });

  it('finds PII in values under any name, and halves a name the values contradict', () => {
    expect(detectPii('contact', 'string', ['a@b.io', 'c@d.org', 'e@f.net'])[0]).toMatchObject({
      kind: 'email',
      evidence: 'values',
    });
    expect(detectPii('host', 'string', ['10.0.0.1', '::1'])[0]).toMatchObject({
      kind: 'ip-address',
      evidence: 'values',
    });
    expect(detectPii('peer', 'string', ['fe80::1%eth0', '::ffff:10.0.0.1', '2001:db8::7', '8.8.8.8'])).toEqual([
      { kind: 'ip-address', evidence: 'values', confidence: 0.95 },
    ]);
    expect(detectPii('email', 'string', ['yes', 'no', 'maybe'])).toEqual([
      { kind: 'email', evidence: 'name', confidence: 0.35 },
    ]);
    // An IP address or a date is not a phone number.
    expect(detectPii('value', 'string', ['192.168.1.1', '2024-01-01'])).not.toContainEqual(
      expect.objectContaining({ kind: 'phone' }),
    );
  });
});

describe('columnStats', () => {
  it('counts nulls, distinct values and order; bounds by type', () => {
    const rows: Row[] = [{ n: '10' }, { n: '9' }, { n: null }, { n: '11' }, {}];
    const stats = columnStats(rows, 'n', 'integer');
    expect(stats).toMatchObject({ rows: 5, nulls: 2, distinct: 3, singletons: 3, min: 9, max: 11 });
    expect(stats.order).toEqual({ up: 1, down: 1, same: 0 });
    const big = columnStats([{ b: '9007199254740993' }, { b: '2' }, { b: 'x' }], 'b', 'bigint');
    expect(big).toMatchObject({ min: 2, max: '9007199254740993' });
    const times = columnStats(
      [{ t: '2024-01-01 10:00:00' }, { t: new Date('2024-01-02T00:00:00Z') }, { t: '2024-01-03T00:00:00+02' }],
      't',
      'timestamptz',
    );
    expect(times).toMatchObject({ min: '2024-01-01 10:00:00', max: '2024-01-03T00:00:00+02' });
    expect(times.order.up).toBe(2);
    const json = columnStats(
      [{ j: { a: 'x'.repeat(200) } }, { j: { a: 'x'.repeat(200) } }, { j: new Uint8Array([1]) }],
      'j',
      'json',
    );
    expect(json.distinct).toBe(2);
    expect(json.min).toBeUndefined();
  });
});

describe('keys', () => {
  const profiled = (
    rows: Array<Record<string, string | number | null>>,
    types: Record<string, ProfiledColumn['type']>,
  ) => Object.entries(types).map(([name, type]) => ({ name, type, stats: columnStats(rows, name, type) }));

  it('tries pairs when no single column is unique', () => {
    const rows = [
      { region: 'eu', day: '2024-01-01', n: 1 },
      { region: 'eu', day: '2024-01-02', n: 1 },
      { region: 'us', day: '2024-01-01', n: 2 },
    ];
    const columns = profiled(rows, { region: 'string', day: 'date', n: 'integer' });
    expect(primaryKeyCandidates(columns, rows)).toEqual([
      ['region', 'day'],
      ['day', 'n'],
    ]);
    expect(primaryKeyCandidates(columns, rows.slice(0, 1))).toEqual([]);
  });

  it('never takes a column with nulls as a cursor, and ranks update times first', () => {
    const rows = [
      { id: 1, created_at: '2024-01-01', modified: '2024-02-01', seen: null },
      { id: 2, created_at: '2024-01-02', modified: '2024-01-01', seen: '2024-01-01' },
    ];
    const columns = profiled(rows, { id: 'integer', created_at: 'date', modified: 'date', seen: 'date' });
    expect(cursorCandidates(columns)).toEqual(['modified', 'created_at', 'id']);
  });
});

describe('head inspection', () => {
  it('detects encodings by BOM and by UTF-8 validity, allowing a cut last character', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toBe('utf-16le');
    expect(detectEncoding(Buffer.from('aé', 'utf8').subarray(0, 2))).toBe('utf-8');
    expect(detectEncoding(Buffer.from('aé b', 'latin1'))).toBe('latin1');
  });

  it('reads format, compression, ratio, delimiter and UTF-16 text', () => {
    const spec = { format: 'auto' as const, compression: 'auto' as const };
    const text = 'a|b\n1|2\n'.repeat(100);
    const gz = inspectHead('x.csv.gz', gzipSync(text), true, spec);
    expect(gz).toMatchObject({ format: 'csv', compression: 'gzip', delimiter: '|', encoding: 'utf-8' });
    expect(gz.ratio).toBeGreaterThan(5);
    expect(inspectHead('x', Buffer.from('{"a":1}\n'), true, spec)).toEqual({
      format: 'jsonl',
      compression: 'none',
      encoding: 'utf-8',
    });
    expect(inspectHead('x.parquet', Buffer.from('PAR1'), false, spec)).toEqual({
      format: 'parquet',
      compression: 'none',
    });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a;b\n1;2\n', 'utf16le')]);
    expect(inspectHead('x.csv', utf16, true, spec)).toMatchObject({ encoding: 'utf-16le', delimiter: ';' });
    expect(
      inspectHead('x.csv', Buffer.from('a,b'), true, { ...spec, csv: { encoding: 'latin1', delimiter: '\t' } }),
    ).toMatchObject({
      encoding: 'latin1',
      delimiter: '\t',
    });
    expect(inspectHead('x.csv.gz', Buffer.from('not gzip'), true, spec).ratio).toBeUndefined();
    expect(rowTextBytes({ format: 'csv', delimiter: ';', encoding: 'utf-16le' })!({ a: 'xy', b: null })).toBe(
      2 + 4 + 2,
    );
    expect(rowTextBytes({ format: 'jsonl' })!({ a: 1 })).toBe(8);
    expect(rowTextBytes({ format: 'parquet' })).toBeUndefined();
    expect(uncompressedSize(100, { compression: 'none', ratio: 4 })).toBe(100);
  });
});

describe('totalHint', () => {
  it('finds totals in the body, in containers, in headers, and ignores a page count', () => {
    const none = new Headers();
    expect(totalHint({ total: 12 }, none, 5)).toEqual({ value: 12, from: `the API's "total" field` });
    expect(totalHint({ hits: { total: { value: 99, relation: 'eq' } } }, none, 5)?.value).toBe(99);
    expect(totalHint({ paging: { totalCount: '40' } }, none, 5)?.value).toBe(40);
    expect(totalHint({ count: 3, items: [] }, none, 5)).toBeUndefined();
    expect(totalHint([{ a: 1 }], new Headers({ 'X-Total-Count': '77' }), 1)).toEqual({
      value: 77,
      from: `the API's x-total-count header`,
    });
  });
});

describe('limits and sampling', () => {
  it('reads bounds from the environment, ignoring nonsense', () => {
    expect(
      profileLimitsFromEnv({
        AOE_PROFILE_MAX_ROWS: '500',
        AOE_PROFILE_MAX_BYTES: 'lots',
        AOE_PROFILE_MAX_SAMPLE_MS: '2000',
      }),
    ).toEqual({
      maxRows: 500,
      maxSampleMs: 2000,
    });
    expect(profileLimits({ maxRows: 10, batchSize: 500 }).batchSize).toBe(10);
  });

  const slowSource = (delayMs: number): SourceConnector => ({
    kind: 'file',
    check: async () => ({ ok: true }),
    discover: async () => [],
    async *read(options): AsyncGenerator<Batch> {
      for (let i = 0; ; i++) {
        options.signal?.throwIfAborted();
        await new Promise((r) => setTimeout(r, delayMs));
        options.signal?.throwIfAborted();
        yield { rows: [{ i }], positions: [`p${i}`], rejected: [], bytes: 10 };
      }
    },
  });

  it('stops at the time bound with what it has, and stops for good when the caller aborts', async () => {
    const sample = await sampleSource(slowSource(5), profileLimits({ maxSampleMs: 60 }));
    expect(sample.stoppedBy).toBe('time');
    expect(sample.rows.length).toBeGreaterThan(0);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 30);
    await expect(sampleSource(slowSource(5), profileLimits(), { signal: controller.signal })).rejects.toThrow(
      'cancelled',
    );
  });
});
