import { LogicalType } from '@aoe/contracts';
import { castSamples, mutations, randomSamples } from '../../test/fixtures/cast-samples';
import { sqlCastFor, type CastGuard } from './sql-casts';

/** Every type the set-based path casts to in SQL. */
const TYPES = LogicalType.options.filter((type) => sqlCastFor(type) !== undefined);
const samples = castSamples();
const isAscii = (text: string): boolean => [...text].every((c) => c.charCodeAt(0) < 0x80);
const random = randomSamples(20_000);

/** The text's bytes inside other bytes (digits, which a guard reading past its field would take). */
function embedded(text: string): { bytes: Buffer; start: number; end: number } {
  const bytes = Buffer.from(`12${text}34`, 'latin1');
  return { bytes, start: 2, end: 2 + text.length };
}

/** Texts on which the text and the byte form of `guard` disagree. */
function disagreements(guard: CastGuard, texts: readonly string[]): string[] {
  return texts.filter((text) => {
    const alone = Buffer.from(text, 'latin1');
    const { bytes, start, end } = embedded(text);
    const expected = guard.accepts(text);
    return (
      guard.acceptsBytes(alone, 0, alone.length) !== expected || guard.acceptsBytes(bytes, start, end) !== expected
    );
  });
}

describe('cast guards on bytes', () => {
  describe.each(TYPES)('%s', (type) => {
    const cast = sqlCastFor(type)!;
    const texts = [...samples[type], ...random];
    const accepted = texts.filter((t) => cast.accepts(t));
    const corpus = [...texts, ...mutations(accepted.slice(0, 3000))];

    it('answers as the text guard, on the whole corpus', () => {
      expect(accepted.length).toBeGreaterThan(type === 'string' ? 0 : 20);
      expect(disagreements(cast, corpus)).toEqual([]);
    });

    it('answers as the text guard in typed mode too, and accepts there only what it accepts otherwise', () => {
      expect(disagreements(cast.typed, corpus)).toEqual([]);
      expect(corpus.filter((t) => cast.typed.accepts(t) && !cast.accepts(t))).toEqual([]);
    });

    it('accepts only text made of its charset, without bytes ≥ 0x80', () => {
      for (const guard of [cast, cast.typed]) {
        if (guard.charset === undefined) continue;
        const charset = guard.charset;
        const outside = corpus.filter((t) => guard.accepts(t) && [...t].some((c) => !charset.includes(c)));
        expect(outside).toEqual([]);
        expect(isAscii(charset) && !/[",\r\n]/.test(charset)).toBe(true);
      }
      if (type !== 'string') expect(corpus.filter((t) => cast.accepts(t) && !isAscii(t))).toEqual([]);
    });
  });

  it('typed mode refuses what a typed COPY would store differently', () => {
    const number = sqlCastFor('number')!;
    for (const zero of ['-0', '-0.0', '-.0', '-000', '-0.', '-00.000']) {
      expect([zero, number.accepts(zero), number.typed.accepts(zero)]).toEqual([zero, true, false]);
    }
    expect(['0', '+0', '-0.001', '-1'].map((t) => number.typed.accepts(t))).toEqual([true, true, true, true]);

    const tz = sqlCastFor('timestamptz')!;
    const ts = sqlCastFor('timestamp')!;
    for (const guard of [tz.typed, ts.typed]) {
      expect(guard.accepts('2024-01-01T10:00:00.1234Z')).toBe(false);
      expect(guard.accepts('2024-01-01T10:00:00.123456')).toBe(false);
      expect(guard.accepts('2024-01-01T10:00:00.123000')).toBe(true);
      expect(guard.accepts('2024-01-01T10:00:00.123Z')).toBe(true);
    }
    expect(tz.typed.accepts('2024-01-01T10:00:00+05:30')).toBe(true);
    expect(['Z', '+00', '-00:00', '+0000', ''].map((z) => ts.typed.accepts(`2024-01-01T10:00:00${z}`))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['+05:30', '-08', '+0001', '-00:01'].map((z) => ts.typed.accepts(`2024-01-01T10:00:00${z}`))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('keeps the known answers of the guards', () => {
    const accepts = (type: LogicalType, text: string) => {
      const bytes = Buffer.from(text, 'latin1');
      return sqlCastFor(type)!.acceptsBytes(bytes, 0, bytes.length);
    };
    expect(['2147483647', '-2147483648', '+007'].every((t) => accepts('integer', t))).toBe(true);
    expect(['2147483648', '-2147483649', '00000000001', ' 1', '1e3'].some((t) => accepts('integer', t))).toBe(false);
    expect(accepts('bigint', '999999999999999999')).toBe(true);
    expect(accepts('bigint', '9223372036854775807')).toBe(false);
    expect(['.5', '5.', '-0'].every((t) => accepts('number', t))).toBe(true);
    expect(['.', '1e5', 'NaN'].some((t) => accepts('number', t))).toBe(false);
    expect(['2024-02-29', '0001-01-01'].every((t) => accepts('date', t))).toBe(true);
    expect(['2023-02-29', '0000-01-01', '2024-04-31'].some((t) => accepts('date', t))).toBe(false);
    expect(
      ['2024-01-01 23:59:59.999999+14:59', '2024-01-01T00:00:00+0530'].every((t) => accepts('timestamptz', t)),
    ).toBe(true);
    expect(
      ['2024-01-01T24:00:00', '2024-01-01T10:00:00+15:00', '2024-01-01T10:00'].some((t) => accepts('timestamp', t)),
    ).toBe(false);
    expect(['TRUE', 'oFf', 'Y', '0'].every((t) => accepts('boolean', t))).toBe(true);
    expect(['tr', 'o', 'T\u00ff'].some((t) => accepts('boolean', t))).toBe(false);
  });
});
