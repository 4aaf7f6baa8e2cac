import { countLines, CsvPassThroughScanner, PassThroughRejected } from './pass-through';

function scan(text: string, width: number, options: { notNull?: number[]; split?: number } = {}): number {
  const scanner = new CsvPassThroughScanner(0x2c, width, true, undefined, options.notNull);
  const bytes = Buffer.from(text, 'utf8');
  // Chunk boundaries anywhere must not matter.
  const step = options.split ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) scanner.push(bytes.subarray(i, i + step));
  scanner.end();
  return scanner.rows;
}

describe('CsvPassThroughScanner', () => {
  it('counts records after the header, across any chunk boundary', () => {
    const text = 'a,b\n1,"x\r\ny, ""z"""\r\n3,\n"",4';
    for (const split of [1, 2, 3, 7, 100]) expect(scan(text, 2, { split })).toBe(3);
  });

  it.each([
    ['a ragged record', 'a,b\n1,2,3\n', /3 fields, expected 2/],
    ['a short record', 'a,b\n1\n', /1 fields, expected 2/],
    ['an empty line', 'a,b\n1,2\n\n3,4\n', /empty line/],
    ['an empty CRLF line', 'a,b\r\n1,2\r\n\r\n', /empty line/],
    ['a quote inside an unquoted field', 'a,b\n1,x"y\n', /quote inside/],
    ['text after a closing quote', 'a,b\n1,"x"y\n', /after a closing quote/],
    ['a lone carriage return', 'a,b\n1,x\ry\n', /carriage return/],
    ['an unclosed quote', 'a,b\n1,"x\n', /not closed/],
  ])('refuses %s', (_name, text, reason) => {
    expect(() => scan(text, 2)).toThrow(PassThroughRejected);
    expect(() => scan(text, 2)).toThrow(reason);
  });

  it('refuses a \\. line, which COPY would read as the end of the data', () => {
    expect(() => scan('a\n1\n\\.\n2\n', 1)).toThrow(/\\\. line/);
    expect(scan('a\n1\n\\.x\n"\\."\n', 1)).toBe(3);
  });

  it('refuses a NULL (unquoted empty) in a not-null column, not an empty string', () => {
    expect(() => scan('a,b\n1,\n', 2, { notNull: [1] })).toThrow(/NULL in not-null column 2/);
    expect(() => scan('a,b\n,1\n', 2, { notNull: [0] })).toThrow(/NULL in not-null column 1/);
    expect(() => scan('a,b\n1,2\n3,', 2, { notNull: [1] })).toThrow(/NULL/);
    expect(scan('a,b\n1,""\n,2\n', 2, { notNull: [1] })).toBe(2);
  });

  it('checks the header', () => {
    const scanner = new CsvPassThroughScanner(0x2c, 2, true, (header) =>
      header.toString() === 'a,b\n' ? undefined : 'wrong header',
    );
    expect(() => scanner.push(Buffer.from('a,c\n1,2\n'))).toThrow(/wrong header/);
  });
});

describe('countLines', () => {
  it('counts newlines', () => {
    expect(countLines(Buffer.from('a\tb\n\\N\tc\\nd\n'))).toBe(2);
    expect(countLines(Buffer.from(''))).toBe(0);
  });
});
