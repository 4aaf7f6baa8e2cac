import { canonicalJson, inputDigest } from './input-digest';

describe('canonicalJson / inputDigest', () => {
  it('sorts keys at every depth, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(inputDigest({ a: 1, b: 2 })).toBe(inputDigest({ b: 2, a: 1 }));
    expect(inputDigest([1, 2])).not.toBe(inputDigest([2, 1]));
  });

  it('follows JSON.stringify for dates, undefined, functions, non-finite numbers and bigints', () => {
    expect(canonicalJson({ at: new Date('2025-01-01T00:00:00Z'), gone: undefined, fn: () => 1 })).toBe(
      '{"at":"2025-01-01T00:00:00.000Z"}',
    );
    expect(canonicalJson([undefined, NaN, Infinity, 10n])).toBe('[null,null,null,"10"]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('is a sha256 hex digest', () => {
    expect(inputDigest({})).toMatch(/^[a-f0-9]{64}$/);
    expect(inputDigest({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('refuses cycles but allows shared references', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow('cycle');
  });
});
