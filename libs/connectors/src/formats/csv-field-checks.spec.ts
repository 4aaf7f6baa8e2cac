import { CsvFieldChecker, type FieldCheck } from './csv-field-checks';
import { CsvPassThroughScanner } from './csv-scanner';
import { digitsCheck as digits, emailCheck as email } from '../../test/fixtures/field-checks';

/** The checks, fed by a scan of `csv` in chunks of `chunkSize` bytes. */
function check(csv: string | Buffer, chunkSize: number, checks = [digits, undefined, email]): CsvFieldChecker {
  const { scanner, checker } = scannerWith(checks);
  const bytes = Buffer.isBuffer(csv) ? csv : Buffer.from(csv);
  for (let at = 0; at < bytes.length; at += chunkSize) scanner.push(bytes.subarray(at, at + chunkSize));
  scanner.end();
  return checker;
}

function scannerWith(checks: Array<FieldCheck | undefined>) {
  const scanner = new CsvPassThroughScanner(0x2c, checks.length, true);
  const checker = new CsvFieldChecker(checks);
  scanner.checkFields(checker);
  return { scanner, checker };
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
    const { scanner, checker } = scannerWith([digits, undefined, email]);
    scanner.push(Buffer.from('id,n,email\n1,a,a@x\n2,"b'));
    expect([checker.hasDoubt, checker.lastRecordEnd]).toEqual([false, 19]);
    scanner.push(Buffer.from(',q\n'));
    expect([checker.hasDoubt, checker.lastRecordEnd]).toEqual([false, -1]);
    scanner.push(Buffer.from('",nope\r\n3,c,c@x'));
    expect([checker.hasDoubt, checker.lastRecordEnd]).toEqual([true, 8]);
    scanner.end();
    expect(checker.doubtful).toEqual([2]);
  });
});
