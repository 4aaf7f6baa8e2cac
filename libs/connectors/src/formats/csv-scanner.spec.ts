import { seeded } from '../../test/fixtures/cast-samples';
import { PassThroughRejected } from '../pass-through';
import { CAST_DOUBT, CsvFieldChecker, FIELD_OK, type FieldCheck, type FieldVerdict } from './csv-field-checks';
import { CsvPassThroughScanner } from './csv-scanner';
import { digitsCheck as digits, emailCheck as email } from '../../test/fixtures/field-checks';

interface ScanOptions {
  notNull?: number[];
  split?: number;
  /** Every column checked for digits: the scan takes the checked path (fields found by their last length). */
  checked?: boolean;
}

function scan(text: string, width: number, options: ScanOptions = {}): number {
  const scanner = new CsvPassThroughScanner(0x2c, width, true, undefined, options.notNull);
  if (options.checked) scanner.checkFields(new CsvFieldChecker(Array.from({ length: width }, () => digits)));
  const bytes = Buffer.from(text, 'utf8');
  const step = options.split ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) scanner.push(bytes.subarray(i, i + step));
  scanner.end();
  return scanner.rows;
}

/** Every chunk size, with and without field checks. */
function everyWay(text: string): ScanOptions[] {
  const length = Buffer.byteLength(text);
  return [false, true].flatMap((checked) => Array.from({ length }, (_, i) => ({ split: i + 1, checked })));
}

describe('CsvPassThroughScanner', () => {
  it('counts records after the header, across any chunk boundary, with or without checks', () => {
    const text = 'a,b\n1,"x\r\ny, ""z"""\r\n3,\n"",4';
    for (const options of everyWay(text)) expect(scan(text, 2, options)).toBe(3);
  });

  it.each([
    ['a ragged record', 'a,b\n1,2,3\n', /3 fields, expected 2/],
    ['a short record', 'a,b\n1\n', /1 fields, expected 2/],
    ['an empty line', 'a,b\n1,2\n\n3,4\n', /empty line/],
    ['an empty CRLF line', 'a,b\r\n1,2\r\n\r\n', /empty line/],
    ['a quote inside an unquoted field', 'a,b\n1,x"y\n', /quote inside/],
    ['a quote after a field of the last length', 'a,b\n12,34\n56",7\n', /quote inside/],
    ['text after a closing quote', 'a,b\n1,"x"y\n', /after a closing quote/],
    ['a lone carriage return', 'a,b\n1,x\ry\n', /carriage return/],
    ['a carriage return at the end', 'a,b\n1,x\r', /carriage return/],
    ['an unclosed quote', 'a,b\n1,"x\n', /not closed/],
    ['no header', '', /no header line/],
  ])('refuses %s, however it is chunked', (_name, text, reason) => {
    for (const options of everyWay(text)) {
      expect(() => scan(text, 2, options)).toThrow(PassThroughRejected);
      expect(() => scan(text, 2, options)).toThrow(reason);
    }
  });

  it('refuses a \\. line, which COPY would read as the end of the data', () => {
    expect(() => scan('a\n1\n\\.\n2\n', 1)).toThrow(/\\\. line/);
    expect(() => scan('a\n1\n\\.\n2\n', 1, { checked: true })).toThrow(/\\\. line/);
    expect(scan('a\n1\n\\.x\n"\\."\n', 1)).toBe(3);
  });

  it('refuses a NULL (unquoted empty) in a not-null column, not an empty string', () => {
    for (const checked of [false, true]) {
      expect(() => scan('a,b\n1,\n', 2, { notNull: [1], checked })).toThrow(/NULL in not-null column 2/);
      expect(() => scan('a,b\n,1\n', 2, { notNull: [0], checked })).toThrow(/NULL in not-null column 1/);
      expect(() => scan('a,b\n1,2\n3,', 2, { notNull: [1], checked })).toThrow(/NULL/);
      expect(scan('a,b\n1,""\n,2\n', 2, { notNull: [1], checked })).toBe(2);
      expect(scan('a,\n1,2\n', 2, { notNull: [1], checked })).toBe(1);
    }
  });

  it('checks the header', () => {
    const scanner = new CsvPassThroughScanner(0x2c, 2, true, (header) =>
      header.toString() === 'a,b\n' ? undefined : 'wrong header',
    );
    expect(() => scanner.push(Buffer.from('a,c\n1,2\n'))).toThrow(/wrong header/);
  });

  it('takes field checks only before the first chunk, one per column', () => {
    const scanner = new CsvPassThroughScanner(0x2c, 2, true);
    expect(() => scanner.checkFields(new CsvFieldChecker([digits]))).toThrow(/1 field checks for 2 columns/);
    scanner.push(Buffer.from('a,b\n'));
    expect(() => scanner.checkFields(new CsvFieldChecker([digits, digits]))).toThrow(/before the first chunk/);
  });

  it('counts line ends inside quoted fields, for the header too (lineOf)', () => {
    const scanner = new CsvPassThroughScanner(0x2c, 2, true);
    scanner.push(Buffer.from('a,"b\nb"\n1,x\n2,"two\nlines\n"\n3,y\n4,z\n'));
    scanner.end();
    expect([1, 2, 3, 4].map((n) => scanner.lineOf(n))).toEqual([3, 4, 7, 8]);
  });
});

/** One field as the reference reads it. */
interface Field {
  quoted: boolean;
  text: string;
}

/** What the scan of a CSV (with a header) must find. */
interface Expected {
  /** The refusal, or undefined. */
  reason?: string;
  rows: number;
  /** Per record after the header, the line it starts on. */
  lines: number[];
  /** Offsets just after the LF of each record that ends in one, the header's included. */
  lineEnds: number[];
  /** Per record after the header, the worst verdict of its fields. */
  verdicts: FieldVerdict[];
}

function verdictOf(check: FieldCheck | undefined, field: Field): FieldVerdict {
  if (check === undefined) return FIELD_OK;
  if (field.quoted) return check.onQuoted;
  if (field.text === '') return check.onNull;
  const bytes = Buffer.from(field.text, 'latin1');
  return check.accepts(bytes, 0, bytes.length) ? FIELD_OK : check.onRejected;
}

/**
 * A plain reading of COPY's CSV rules, one character at a time, refusing at
 * the first character that breaks one (latin1 text; no `\.` lines).
 */
function reference(
  csv: string,
  width: number,
  notNull: readonly number[],
  checks: ReadonlyArray<FieldCheck | undefined>,
): Expected {
  const found: Expected = { rows: 0, lines: [], lineEnds: [], verdicts: [] };
  const refuse = (reason: string): Expected => ({ ...found, reason });
  let header = true;
  let line = 1;
  let i = 0;
  while (i < csv.length) {
    const startLine = line;
    const fields: Field[] = [];
    for (;;) {
      let field: Field;
      if (csv[i] === '"') {
        let text = '';
        i++;
        for (;;) {
          if (i >= csv.length) return refuse('a quoted field is not closed');
          if (csv[i] === '"' && csv[i + 1] === '"') {
            text += '"';
            i += 2;
          } else if (csv[i] === '"') {
            i++;
            break;
          } else {
            if (csv[i] === '\n') line++;
            text += csv[i++];
          }
        }
        field = { quoted: true, text };
        if (i < csv.length && !',\r\n'.includes(csv[i])) return refuse('text after a closing quote');
      } else {
        const start = i;
        while (i < csv.length && !',"\r\n'.includes(csv[i])) i++;
        field = { quoted: false, text: csv.slice(start, i) };
        if (csv[i] === '"') return refuse('a quote inside an unquoted field');
      }
      fields.push(field);
      const emptyLine = fields.length === 1 && !field.quoted && field.text === '' && csv[i] !== ',';
      if (!header && !emptyLine && !field.quoted && field.text === '' && notNull.includes(fields.length - 1)) {
        return refuse(`a NULL in not-null column ${fields.length}`);
      }
      if (csv[i] === ',') {
        i++;
        continue;
      }
      if (csv[i] === '\r') {
        if (csv[i + 1] !== '\n') return refuse('a carriage return that does not end a line');
        i++;
      }
      if (emptyLine) return refuse('an empty line');
      if (fields.length !== width) return refuse(`a record of ${fields.length} fields, expected ${width}`);
      if (csv[i] === '\n') {
        i++;
        line++;
        found.lineEnds.push(i);
      }
      break;
    }
    if (header) header = false;
    else {
      found.rows++;
      found.lines.push(startLine);
      found.verdicts.push(Math.max(...fields.map((f, c) => verdictOf(checks[c], f))) as FieldVerdict);
    }
  }
  return header ? refuse('no header line') : found;
}

/** Random CSV: digit fields (lengths repeat, so guesses hit and miss), NULLs, quotes, CRLF, now and then a flaw. */
function randomCsv(random: () => number, rows: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const flaw = (): string => pick(['x"y', '12"', '"a"b', '"7"8', 'a\rb', '\r', '"open']);
  const field = (): string =>
    random() < 0.005
      ? flaw()
      : pick([
          () => String(Math.floor(random() * 300)),
          () => String(Math.floor(random() * 300)),
          () => '',
          () => pick(['x', '1x', 'a@b', 'no', '@', '9@', 'é@', '12 ']),
          () => `"${pick(['', 'a,b', 'l1\nl2', 'q""q', '7', '@', 'r\r\n', '""'])}"`,
        ])();
  const eol = random() < 0.5 ? '\n' : '\r\n';
  const lines = ['a,b,c,d'];
  for (let r = 0; r < rows; r++) {
    const roll = random();
    // Now and then an empty line, or a record of 3 or 5 fields.
    const width = roll < 0.005 ? 0 : roll < 0.01 ? 3 : roll < 0.015 ? 5 : 4;
    lines.push(Array.from({ length: width }, field).join(','));
  }
  return lines.join(eol) + (random() < 0.5 ? eol : '');
}

/** Runs the scanner over `bytes` in random chunks; what it found, and each whole chunk's `lastRecordEnd`. */
function scanInChunks(
  bytes: Buffer,
  chunkEnds: readonly number[],
  notNull: readonly number[],
  checks?: ReadonlyArray<FieldCheck | undefined>,
) {
  const scanner = new CsvPassThroughScanner(0x2c, 4, true, undefined, notNull);
  const checker = checks && new CsvFieldChecker(checks);
  if (checker) scanner.checkFields(checker);
  const recordEnds: number[] = [];
  let reason: string | undefined;
  try {
    let at = 0;
    for (const end of chunkEnds) {
      scanner.push(bytes.subarray(at, end));
      recordEnds.push(checker?.lastRecordEnd ?? 0);
      at = end;
    }
    scanner.end();
  } catch (error) {
    if (!(error instanceof PassThroughRejected)) throw error;
    reason = error.message.replace(/^pass-through refused: /, '');
  }
  return { scanner, checker, reason, recordEnds };
}

describe('CsvPassThroughScanner with field checks, against a plain reading', () => {
  const checks: Array<FieldCheck | undefined> = [digits, undefined, email, { ...digits, onNull: FIELD_OK }];

  it('refuses, counts, numbers lines and finds doubtful records and record ends alike, for any chunking', () => {
    const random = seeded(5);
    let refused = 0;
    for (let round = 0; round < 600; round++) {
      const csv = randomCsv(random, 1 + Math.floor(random() * 30));
      const notNull = random() < 0.2 ? [1] : [];
      const expected = reference(csv, 4, notNull, checks);
      if (expected.reason !== undefined) refused++;
      const bytes = Buffer.from(csv, 'latin1');
      const chunkEnds: number[] = [];
      for (let at = 0; at < bytes.length;) {
        at = Math.min(
          bytes.length,
          at + (random() < 0.3 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * 40)),
        );
        chunkEnds.push(at);
      }

      for (const withChecks of [false, true]) {
        const { scanner, checker, reason, recordEnds } = scanInChunks(
          bytes,
          chunkEnds,
          notNull,
          withChecks ? checks : undefined,
        );
        const context = { csv, chunkEnds, withChecks };
        expect({ ...context, reason }).toEqual({ ...context, reason: expected.reason });
        if (reason !== undefined) continue;
        expect(scanner.rows).toBe(expected.rows);
        expect(expected.lines.map((_, i) => scanner.lineOf(i + 1))).toEqual(expected.lines);
        if (!checker) continue;
        expect({ ...context, doubtful: checker.doubtful }).toEqual({
          ...context,
          doubtful: expected.verdicts.flatMap((v, i) => (v === FIELD_OK ? [] : [i + 1])),
        });
        expect([...checker.castDoubts]).toEqual(expected.verdicts.flatMap((v, i) => (v === CAST_DOUBT ? [i + 1] : [])));
        const expectedEnds = chunkEnds.map((end, c) => {
          const start = c === 0 ? 0 : chunkEnds[c - 1];
          const inChunk = expected.lineEnds.filter((p) => p > start && p <= end);
          return inChunk.length === 0 ? -1 : inChunk[inChunk.length - 1] - start;
        });
        expect(recordEnds).toEqual(expectedEnds);
      }
    }
    // Both kinds of input came up often.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(500);
  });
});
