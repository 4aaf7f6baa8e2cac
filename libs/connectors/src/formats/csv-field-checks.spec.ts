import { seeded } from '../../test/fixtures/cast-samples';
import { CsvPassThroughScanner } from '../pass-through';
import {
  CAST_DOUBT,
  CsvFieldChecker,
  FIELD_OK,
  RULE_DOUBT,
  type FieldCheck,
  type FieldVerdict,
} from './csv-field-checks';

const latin1 = (bytes: Uint8Array, start: number, end: number) => Buffer.from(bytes).toString('latin1', start, end);

const digits: FieldCheck = {
  onNull: RULE_DOUBT,
  onQuoted: CAST_DOUBT,
  accepts: (bytes, start, end) => /^\d+$/.test(latin1(bytes, start, end)),
  onRejected: CAST_DOUBT,
  // Digits hold no separator: the checker may find the field by its length.
  refusesSeparators: true,
};
const email: FieldCheck = {
  onNull: FIELD_OK,
  onQuoted: RULE_DOUBT,
  accepts: (bytes, start, end) => latin1(bytes, start, end).includes('@'),
  onRejected: RULE_DOUBT,
};

function check(csv: string | Buffer, chunkSize: number, checks = [digits, undefined, email]): CsvFieldChecker {
  const checker = new CsvFieldChecker(',', true, checks);
  const bytes = Buffer.isBuffer(csv) ? csv : Buffer.from(csv);
  for (let at = 0; at < bytes.length; at += chunkSize) checker.push(bytes.subarray(at, at + chunkSize));
  checker.end();
  return checker;
}

describe('CsvFieldChecker', () => {
  const csv =
    'id,"note, quoted",email\r\n' +
    '1,plain,a@x\r\n' + // 1: fine
    '2x,"multi\r\nline, ""q""",b@x\r\n' + // 2: cast in doubt
    ',n,c@x\r\n' + // 3: NULL in a not-null column: a rule in doubt
    '4,n,nope\r\n' + // 4: a rule in doubt
    '"5",n,d@x\r\n' + // 5: a quoted cast column
    '6,n,\r\n' + // 6: NULL e-mail passes
    '77,é,e@x'; // 7: no line end at the end

  it.each([1, 2, 3, 7, 1000])('lists the doubtful records whatever the chunk size (%i)', (size) => {
    const checker = check(csv, size);
    expect(checker.doubtful).toEqual([2, 3, 4, 5]);
    expect([...checker.castDoubts].sort()).toEqual([2, 5]);
  });

  it('a cast in doubt outranks a rule in doubt in the same record', () => {
    const checker = check('id,n,email\nx,n,nope\n', 4);
    expect(checker.doubtful).toEqual([1]);
    expect(checker.castDoubts.has(1)).toBe(true);
  });

  it('does not take a field of the last length when a longer one starts with an accepted prefix', () => {
    // 12 then 34x: "34" is accepted digits, but the byte after it is no separator.
    expect(check('id,n,email\n12,a,a@x\n34x,b,b@x\n56,c,c@x\n', 1000).doubtful).toEqual([2]);
  });

  it('tells after each chunk whether anything is in doubt, and where its last record ended', () => {
    const checker = new CsvFieldChecker(',', true, [digits, undefined, email]);
    checker.push(Buffer.from('id,n,email\n1,a,a@x\n2,b'));
    expect([checker.hasDoubt, checker.lastRecordEnd]).toEqual([false, 19]);
    checker.push(Buffer.from(',"q\n'));
    expect([checker.hasDoubt, checker.lastRecordEnd]).toEqual([false, -1]);
    checker.push(Buffer.from('",nope\r\n3,c,c@x'));
    expect([checker.hasDoubt, checker.lastRecordEnd]).toEqual([true, 8]);
    checker.end();
    expect(checker.doubtful).toEqual([2]);
  });
});

/** One record's fields as the reference parser reads them. */
interface Field {
  quoted: boolean;
  text: string;
}

/** A plain CSV parser (latin1 text), and where each record's line end is. */
function parse(csv: string): { records: Field[][]; lineEnds: number[] } {
  const records: Field[][] = [];
  const lineEnds: number[] = [];
  let record: Field[] = [];
  let i = 0;
  while (i < csv.length) {
    let field: Field;
    if (csv[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        if (csv[i] === '"' && csv[i + 1] === '"') {
          text += '"';
          i += 2;
        } else if (csv[i] === '"') {
          i++;
          break;
        } else text += csv[i++];
      }
      field = { quoted: true, text };
    } else {
      const start = i;
      while (i < csv.length && !',\r\n'.includes(csv[i])) i++;
      field = { quoted: false, text: csv.slice(start, i) };
    }
    record.push(field);
    if (csv[i] === ',') i++;
    else {
      if (csv[i] === '\r') i++;
      if (csv[i] === '\n') lineEnds.push(i++);
      records.push(record);
      record = [];
    }
  }
  // The data ended after a delimiter: an empty last field.
  if (record.length > 0) records.push([...record, { quoted: false, text: '' }]);
  return { records, lineEnds };
}

function verdictOf(check: FieldCheck | undefined, field: Field): FieldVerdict {
  if (check === undefined) return FIELD_OK;
  if (field.quoted) return check.onQuoted;
  if (field.text === '') return check.onNull;
  const bytes = Buffer.from(field.text, 'latin1');
  return check.accepts(bytes, 0, bytes.length) ? FIELD_OK : check.onRejected;
}

/** Random CSV: short digit fields (lengths repeat, so guesses hit and miss), quotes, CRLF, non-ASCII. */
function randomCsv(random: () => number, rows: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const field = (): string =>
    pick([
      () => String(Math.floor(random() * 300)),
      () => String(Math.floor(random() * 300)),
      () => '',
      () => pick(['x', '1x', 'a@b', 'no', '@', '9@', 'é@', '12 ']),
      () => `"${pick(['', 'a,b', 'l1\nl2', 'q""q', '7', '@', 'r\r\n'])}"`,
    ])();
  const lines = ['a,b,c,d'];
  for (let r = 0; r < rows; r++) lines.push([field(), field(), field(), field()].join(','));
  const eol = random() < 0.5 ? '\n' : '\r\n';
  return lines.join(eol) + (random() < 0.5 ? eol : '');
}

describe('CsvFieldChecker against a plain parser', () => {
  const checks: Array<FieldCheck | undefined> = [digits, undefined, email, { ...digits, onNull: FIELD_OK }];

  it('finds the same doubtful records and record ends, for any chunking', () => {
    const random = seeded(5);
    for (let round = 0; round < 300; round++) {
      const csv = randomCsv(random, 1 + Math.floor(random() * 30));
      const { records, lineEnds } = parse(csv);
      const verdicts = records.slice(1).map((r) => Math.max(...r.map((f, c) => verdictOf(checks[c], f))));
      const expected = verdicts.flatMap((v, i) => (v === FIELD_OK ? [] : [i + 1]));

      const bytes = Buffer.from(csv, 'latin1');
      // The scanner must take it, as it does before the checker on the set-based path.
      const scanner = new CsvPassThroughScanner(0x2c, 4, true);
      scanner.push(bytes);
      scanner.end();

      const checker = new CsvFieldChecker(',', true, checks);
      let at = 0;
      while (at < bytes.length) {
        const size = random() < 0.3 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * 40);
        const chunk = bytes.subarray(at, at + size);
        checker.push(chunk);
        const inChunk = lineEnds.filter((p) => p >= at && p < at + chunk.length);
        expect(checker.lastRecordEnd).toBe(inChunk.length === 0 ? -1 : inChunk[inChunk.length - 1] + 1 - at);
        at += chunk.length;
      }
      checker.end();
      expect({ csv, doubtful: checker.doubtful }).toEqual({ csv, doubtful: expected });
      const castDoubts = verdicts.flatMap((v, i) => (v === CAST_DOUBT ? [i + 1] : []));
      expect([...checker.castDoubts]).toEqual(castDoubts);
    }
  });
});

describe('CsvPassThroughScanner.lineOf', () => {
  it('counts line ends inside quoted fields, for the header too', () => {
    const scanner = new CsvPassThroughScanner(0x2c, 2, true);
    scanner.push(Buffer.from('a,"b\nb"\n1,x\n2,"two\nlines\n"\n3,y\n4,z\n'));
    scanner.end();
    expect([1, 2, 3, 4].map((n) => scanner.lineOf(n))).toEqual([3, 4, 7, 8]);
  });
});
