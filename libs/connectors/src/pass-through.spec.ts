import { CsvFieldChecker } from './formats/csv-field-checks';
import { countLines, withChunks, type PassThroughReader } from './pass-through';

describe('countLines', () => {
  it('counts newlines', () => {
    expect(countLines(Buffer.from('a\tb\n\\N\tc\\nd\n'))).toBe(2);
    expect(countLines(Buffer.from(''))).toBe(0);
  });
});

describe('withChunks', () => {
  const reader = (checkFields?: PassThroughReader['checkFields']): PassThroughReader => ({
    columns: ['a'],
    format: { kind: 'csv', delimiter: ',', header: true },
    valuesAreText: true,
    rows: 0,
    bytes: 0,
    chunks: async function* () {},
    cursor: () => undefined,
    close: async () => undefined,
    ...(checkFields ? { checkFields } : {}),
  });

  it('hands field checks to the reader it wraps, and offers none when that reader has none', () => {
    const attached: CsvFieldChecker[] = [];
    const checker = new CsvFieldChecker([undefined]);
    withChunks(
      reader((c) => attached.push(c)),
      async function* () {},
    ).checkFields!(checker);
    expect(attached).toEqual([checker]);
    expect(withChunks(reader(), async function* () {}).checkFields).toBeUndefined();
  });
});
