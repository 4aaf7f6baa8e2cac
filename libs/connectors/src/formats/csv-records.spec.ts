import { parse } from 'csv-parse/sync';
import { CsvRecordSplitter, type CsvRecord } from './csv-records';

function split(text: string, cuts: number[] = [], delimiter = ',', nulls: string[] = []): CsvRecord[] {
  const splitter = new CsvRecordSplitter(delimiter, new Set(nulls), 1 << 20);
  const out: CsvRecord[] = [];
  let from = 0;
  for (const cut of cuts) {
    splitter.push(text.slice(from, cut), false, out);
    from = cut;
  }
  splitter.push(text.slice(from), true, out);
  return out;
}

const view = (records: CsvRecord[]) => records.map((r) => ({ cells: r.cells, line: r.line, raw: r.raw() }));

/** What the decoder did with csv-parse: the reference for every input it accepts. */
function reference(text: string, delimiter = ','): string[][] {
  const records: string[][] = parse(text, {
    delimiter,
    bom: false,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });
  return records;
}

describe('CsvRecordSplitter', () => {
  it('splits records with quotes, line breaks, NULL vs empty, and the line each starts on', () => {
    const text = 'a,b,c\r\n1,"x\r\ny",\r\n\r\n2,"",""""\n3,a"b,\rz\n"q",,';
    expect(view(split(text))).toEqual([
      { cells: ['a', 'b', 'c'], line: 1, raw: 'a,b,c' },
      { cells: ['1', 'x\r\ny', null], line: 2, raw: '1,"x\r\ny",' },
      { cells: ['2', '', '"'], line: 5, raw: '2,"",""""' },
      { cells: ['3', 'a"b', '\rz'], line: 6, raw: '3,a"b,\rz' },
      { cells: ['q', null, null], line: 7, raw: '"q",,' },
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = 'h1||h2\r\n"a||b"||"c""d"\r\n\r\n||x\n"multi\nline"||NA\n';
    const whole = view(split(text, [], '||', ['NA']));
    expect(whole.map((r) => r.cells)).toEqual([
      ['h1', 'h2'],
      ['a||b', 'c"d'],
      [null, 'x'],
      ['multi\nline', null],
    ]);
    for (let a = 1; a < text.length; a++) {
      expect(view(split(text, [a], '||', ['NA']))).toEqual(whole);
      for (let b = a + 1; b < text.length; b += 3) expect(view(split(text, [a, b], '||', ['NA']))).toEqual(whole);
    }
  });

  it('refuses an unclosed quote; text after a closing quote keeps the quotes, as csv-parse did', () => {
    expect(() => split('a\n"never closed\n')).toThrow(/Quote Not Closed/);
    expect(split('a,b\n"x""y"z,"q"\r\n').map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['"x"y"z', 'q'],
    ]);
  });

  it('refuses a record longer than the limit', () => {
    const splitter = new CsvRecordSplitter(',', new Set(), 10);
    expect(() => splitter.push('"0123456789abc', false, [])).toThrow(/Max Record Size/);
  });

  it('agrees with csv-parse (as the decoder used it) on random input', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', '\r', ' ', '""'];
    for (let n = 0; n < 10000; n++) {
      let text = '';
      const length = Math.floor(random() * 24);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      let expected: string[][] | undefined;
      try {
        expected = reference(text);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        expect(() => split(text)).toThrow();
        continue;
      }
      const cut = Math.floor(random() * (text.length + 1));
      const got = split(text, [cut]).map((r) => r.cells.map((c) => c ?? ''));
      expect({ text, got }).toEqual({ text, got: expected });
    }
  });
});
