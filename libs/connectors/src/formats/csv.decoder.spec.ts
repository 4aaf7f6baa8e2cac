import { Readable } from 'node:stream';
import { decodeCsv, headerNames, quotedFields, sniffDelimiter } from './csv.decoder';

describe('sniffDelimiter', () => {
  it.each([
    ['a,b,c\n1,2,3\n', ','],
    ['a;b;c\n1;2,5;3\n4;5;6\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['a|b\n1|2\n', '|'],
    ['"x;y",b\n"1;2",3\n', ','],
    ['single\n1\n', ','],
    ['', ','],
  ])('%j → %j', (sample, delimiter) => {
    expect(sniffDelimiter(sample, true)).toBe(delimiter);
  });

  it('ignores a last line cut by the sample size', () => {
    expect(sniffDelimiter('a;b\n1;2\n3;4;5;6;7;8,', false)).toBe(';');
  });
});

describe('quotedFields / headerNames', () => {
  it('tells which fields start with a quote', () => {
    expect(quotedFields('1,"",,"a""b",x', ',')).toEqual([false, true, false, true, false]);
    expect(quotedFields('"a||b"||', '||')).toEqual([true, false]);
  });

  it('keeps names exactly, naming blanks and numbering repeats', () => {
    expect(headerNames(['id', null, 'id', '', 'Name "x"'])).toEqual(['id', 'column_2', 'id_2', 'column_4', 'Name "x"']);
  });
});

describe('decodeCsv', () => {
  it('stops early without leaking: the consumer may break out after the first chunk', async () => {
    const lines = ['a,b', ...Array.from({ length: 5000 }, (_, i) => `${i},x`)].join('\n');
    const input = Readable.from([Buffer.from(lines)]);
    for await (const records of decodeCsv(input, 'big.csv')) {
      expect(records.length).toBeGreaterThan(0);
      break;
    }
    expect(input.destroyed).toBe(true);
  });

  it('applies null values to unquoted cells only', async () => {
    const out = [];
    for await (const records of decodeCsv(Readable.from([Buffer.from('a,b\nNA,"NA"\n')]), 'n.csv', {
      nullValues: ['NA'],
    })) {
      out.push(...records);
    }
    expect(out).toEqual([{ row: { a: null, b: 'NA' }, position: 'n.csv:2' }]);
  });
});
