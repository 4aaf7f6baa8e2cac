import { flattenRecord, toRow } from './record-shape';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, redactor } from './http-fetcher';
import { getPath } from './json-path';
import { nextLink } from './pagination';

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt with half of it random, up to the cap', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(600);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
  });
});

describe('redactor', () => {
  it('hides every secret value, longest first', () => {
    const redact = redactor(['abcd1234', 'abcd', 'xy']);
    expect(redact('token abcd1234 and abcd and xy')).toBe('token [redacted] and [redacted] and xy');
  });
});

describe('nextLink / getPath / flatten', () => {
  it('finds rel="next" among links', () => {
    const base = 'https://api.example.com/v1/items?page=1';
    expect(nextLink('<https://api.example.com/v1/items?page=2>; rel="next", <…?page=9>; rel="last"', base)).toBe(
      'https://api.example.com/v1/items?page=2',
    );
    expect(nextLink('</v1/items?page=3>; rel=next', base)).toBe('https://api.example.com/v1/items?page=3');
    expect(nextLink('<x>; rel="prev"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
  });

  it('reads dotted paths, array indices and keys holding dots', () => {
    const body = { data: { items: [{ id: 1 }] }, 'a.b': 2 };
    expect(getPath(body, 'data.items.0.id')).toBe(1);
    expect(getPath(body, 'a.b')).toBe(2);
    expect(getPath(body, 'data.missing.x')).toBeUndefined();
    expect(getPath(body, '')).toBe(body);
    expect(getPath(3, 'x')).toBeUndefined();
  });

  it('flattens, keeps arrays and empty objects, wraps scalars', () => {
    expect(flattenRecord({ a: { b: { c: 1 } }, d: [1], e: {} })).toEqual({ a_b_c: 1, d: [1], e: {} });
    expect(toRow('x', 'flatten')).toEqual({ value: 'x' });
    expect(toRow({ a: { b: 1 } }, 'json')).toEqual({ a: { b: 1 } });
  });
});
