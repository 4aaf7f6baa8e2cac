import {
  CopyLineSplitter,
  copyField,
  escapeCopyText,
  fieldDecoder,
  fieldEncoder,
  isoMillis,
  parseTimestamp,
  splitCopyLine,
  unescapeCopyText,
} from './copy-text';

describe('COPY text escaping', () => {
  it('escapes backslash, tab, newline and carriage return, and writes NULL as \\N', () => {
    expect(escapeCopyText('plain')).toBe('plain');
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('unescapes every escape PostgreSQL may print, round-tripping what it escapes', () => {
    const samples = ['', 'x', '\\', '\t\n\r', 'a\\nb', '\\N', 'ünï 😀'];
    for (const text of samples) expect(unescapeCopyText(escapeCopyText(text))).toBe(text);
    expect(unescapeCopyText('\\b\\f\\v\\q')).toBe('\b\f\vq');
    expect(unescapeCopyText('\\101\\7x\\x41\\x4g\\xz')).toBe('A\u0007xA\u0004gxz');
    expect(unescapeCopyText('end\\')).toBe('end\\');
  });

  it('splits lines across chunks and multi-byte characters, and fields with NULLs', () => {
    const splitter = new CopyLineSplitter();
    const bytes = Buffer.from('1\t日本\n2\t\\N\n3\tlast', 'utf8');
    const lines = [
      ...splitter.push(bytes.subarray(0, 4)),
      ...splitter.push(bytes.subarray(4, 9)),
      ...splitter.push(bytes.subarray(9)),
    ];
    expect([...lines, ...splitter.end()]).toEqual(['1\t日本', '2\t\\N', '3\tlast']);
    expect(splitter.end()).toEqual([]);
    expect(splitCopyLine('a\\tb\t\\N\t')).toEqual(['a\tb', null, '']);
  });
});

describe('field encoders', () => {
  it('writes scalars, Dates by column type, bytes as hex and objects as JSON', () => {
    const text = fieldEncoder('string');
    expect(text(null)).toBeNull();
    expect(text(undefined)).toBeNull();
    expect(text(12n)).toBe('12');
    expect(text(false)).toBe('false');
    expect(text(Uint8Array.from([1, 255]))).toBe('\\x01ff');
    expect(text({ a: 1 })).toBe('{"a":1}');
    expect(() => text(Symbol('s'))).toThrow('a symbol cannot be stored');
    const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(fieldEncoder('timestamptz')(at)).toBe('2024-01-02T03:04:05.006Z');
    expect(fieldEncoder('timestamp')(at)).toBe('2024-01-02T03:04:05.006');
    expect(fieldEncoder('date')(at)).toBe('2024-01-02');
    expect(() => fieldEncoder('date')(new Date(NaN))).toThrow(RangeError);
  });

  it('treats a string in a JSON column as JSON text when it parses, else as a JSON string', () => {
    const json = fieldEncoder('json');
    expect(json('{"a":1}')).toBe('{"a":1}');
    expect(json('12')).toBe('12');
    expect(json('hello')).toBe('"hello"');
    expect(json(5n)).toBe('5');
    expect(json(Uint8Array.from([1]))).toBe('"\\\\x01"');
    expect(json(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
    expect(json(null)).toBeNull();
  });
});

describe('field decoders', () => {
  it('decodes numbers, booleans, big integers beyond 2^53 and bytea in both output formats', () => {
    expect(fieldDecoder('bigint')('9007199254740993')).toBe('9007199254740993');
    expect(fieldDecoder('bigint')('-42')).toBe(-42);
    expect(fieldDecoder('boolean')('t')).toBe(true);
    expect(fieldDecoder('boolean')('f')).toBe(false);
    expect(fieldDecoder('binary')('\\x00ff')).toEqual(Buffer.from([0, 255]));
    expect(fieldDecoder('binary')('a\\\\b\\001é')).toEqual(Buffer.from([0x61, 0x5c, 0x62, 0x01, 0xc3, 0xa9]));
    expect(fieldDecoder('json')(' [1]')).toEqual([1]);
    expect(fieldDecoder('decimal')('1.50')).toBe('1.50');
  });

  it('parses timestamps to Dates when exact, to ISO text otherwise', () => {
    expect(parseTimestamp('2024-01-02 03:04:05', false)).toEqual(new Date('2024-01-02T03:04:05Z'));
    expect(parseTimestamp('2024-01-02 03:04:05.5+00', true)).toEqual(new Date('2024-01-02T03:04:05.500Z'));
    expect(parseTimestamp('2024-01-02T03:04:05.120Z', true)).toEqual(new Date('2024-01-02T03:04:05.120Z'));
    expect(parseTimestamp('2024-01-02 03:04:05.123456+00', true)).toBe('2024-01-02T03:04:05.123456Z');
    expect(parseTimestamp('2024-01-02 03:04:05.000001', false)).toBe('2024-01-02T03:04:05.000001');
    // Offsets other than UTC (a server that ignored TimeZone=UTC) still give the right instant.
    expect(parseTimestamp('2024-01-02 03:04:05+05:30', true)).toEqual(new Date('2024-01-01T21:34:05Z'));
    expect(parseTimestamp('2024-01-02 03:04:05-01:02:03', true)).toEqual(new Date('2024-01-02T04:06:08Z'));
    expect(parseTimestamp('2024-01-02 03:04:05.123456+01', true)).toBe('2024-01-02T02:04:05.123456Z');
    expect(parseTimestamp('2024-01-02 03:04:05.1234567', false)).toBe('2024-01-02 03:04:05.1234567');
    expect(parseTimestamp('0044-03-15 12:00:00', false)).toEqual(new Date('0044-03-15T12:00:00Z'));
    expect(parseTimestamp('12345-01-01 00:00:00', false)).toBe('12345-01-01 00:00:00');
    expect(parseTimestamp('2024-01-02 03:04:05 BC', false)).toBe('2024-01-02 03:04:05 BC');
    expect(parseTimestamp('infinity', true)).toBe('infinity');
    expect(parseTimestamp('2024-01-02x03:04:05', false)).toBe('2024-01-02x03:04:05');
    expect(parseTimestamp('2024-13-45 99:99:99', false)).toBe('2024-13-45 99:99:99');
    expect(parseTimestamp('2023-02-29 00:00:00', false)).toBe('2023-02-29 00:00:00');
    expect(parseTimestamp('2024-02-29 00:00:00', false)).toEqual(new Date('2024-02-29T00:00:00Z'));
  });
});

describe('isoMillis', () => {
  it('formats like toISOString without the Z, across hours, before 1970 and beyond year 9999', () => {
    const samples = [
      0, 1, 999, 59_999, 3_599_999, 3_600_000, -1, -3_600_001, 1_700_000_123_456, 253402300799999, 253402300800000,
      -62198755200000,
    ];
    for (const ms of samples) {
      const date = new Date(ms);
      expect(isoMillis(date)).toBe(date.toISOString().slice(0, -1));
      expect(isoMillis(date)).toBe(date.toISOString().slice(0, -1));
    }
    for (let ms = 1_700_000_000_000; ms < 1_700_000_000_000 + 7_300_000; ms += 12_345) {
      expect(isoMillis(new Date(ms))).toBe(new Date(ms).toISOString().slice(0, -1));
    }
    expect(() => isoMillis(new Date(NaN))).toThrow(RangeError);
  });
});
