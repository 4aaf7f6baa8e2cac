import { CsvPassThroughScanner } from '../pass-through';
import { CAST_DOUBT, CsvFieldChecker, FIELD_OK, RULE_DOUBT, type FieldCheck } from './csv-field-checks';

const digits: FieldCheck = {
  onNull: RULE_DOUBT,
  onQuoted: CAST_DOUBT,
  onText: (text) => (/^\d+$/.test(text) ? FIELD_OK : CAST_DOUBT),
};
const email: FieldCheck = {
  onNull: FIELD_OK,
  onQuoted: RULE_DOUBT,
  onText: (t) => (t.includes('@') ? FIELD_OK : RULE_DOUBT),
};

function check(csv: string, chunkSize: number): CsvFieldChecker {
  const checker = new CsvFieldChecker(',', true, [digits, undefined, email]);
  const bytes = Buffer.from(csv);
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
});

describe('CsvPassThroughScanner.lineOf', () => {
  it('counts line ends inside quoted fields, for the header too', () => {
    const scanner = new CsvPassThroughScanner(0x2c, 2, true);
    scanner.push(Buffer.from('a,"b\nb"\n1,x\n2,"two\nlines\n"\n3,y\n4,z\n'));
    scanner.end();
    expect([1, 2, 3, 4].map((n) => scanner.lineOf(n))).toEqual([3, 4, 7, 8]);
  });
});
