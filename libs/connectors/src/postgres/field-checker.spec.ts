import { seeded } from '../../test/fixtures/cast-samples';
import { CsvPassThroughScanner } from '../formats/csv-scanner';
import type { StagedTransform } from '../staged-transform';
import { fieldChecker } from './field-checker';

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';
const columns = ['id', 'amount', 'at', 'local', 'email', 'code'].map((name) => ({
  name,
  type: 'string' as const,
  nullable: true,
}));

function transform(patterns: StagedTransform['patterns'] = [{ column: 'email', regex: EMAIL, maxInput: 40 }]) {
  return {
    casts: [
      { column: 'id', to: 'integer' },
      { column: 'amount', to: 'number' },
      { column: 'at', to: 'timestamptz' },
      { column: 'local', to: 'timestamp' },
    ],
    dedupeKey: ['id', 'code'],
    notNull: [],
    patterns,
  } as unknown as StagedTransform;
}

function doubts(csv: string, typed: boolean, t = transform(), chunkSize = 7): number[] {
  const checker = fieldChecker(columns, t, { delimiter: ',' }, { typed });
  const scanner = new CsvPassThroughScanner(0x2c, columns.length, true);
  scanner.checkFields(checker);
  const bytes = Buffer.from(csv, 'latin1');
  for (let at = 0; at < bytes.length; at += chunkSize) scanner.push(bytes.subarray(at, at + chunkSize));
  scanner.end();
  return checker.doubtful;
}

const header = 'id,amount,at,local,email,code\n';

describe('fieldChecker', () => {
  const csv =
    header +
    '1,0.5,2024-01-01T10:00:00.123Z,2024-01-01T10:00:00Z,a@b.c,x\n' + // 1: fine in both modes
    '2,-0,2024-01-01,2024-01-01 10:00:00,a@b.c,x\n' + // 2: negative zero
    '3,1,2024-01-01T10:00:00.1234Z,2024-01-01,a@b.c,x\n' + // 3: sub-millisecond
    '4,1,2024-01-01T10:00:00+05:30,2024-01-01T10:00:00+05:30,a@b.c,x\n' + // 4: an offset on a timestamp
    '5,1,2024-01-01,2024-01-01T10:00:00+00:00,a@b.c,\n' + // 5: a NULL key part
    ',1,2024-01-01,2024-01-01,a@b.c,x\n' + // 6: a NULL key part
    '7,1,2024-01-01,2024-01-01,a@b.c,"q"\n' + // 7: a quoted key part is no NULL
    '8,1,2024-01-01,2024-01-01,nope,x\n' + // 8: a rule in doubt
    '9,1e3,2024-01-01,2024-01-01,a@b.c,x\n'; // 9: a cast in doubt

  it('vouches in normal mode for what the staged convert takes', () => {
    expect(doubts(csv, false)).toEqual([8, 9]);
  });

  it('vouches in typed mode only for what a typed COPY stores as convert does', () => {
    expect(doubts(csv, true)).toEqual([2, 3, 4, 5, 6, 8, 9]);
  });

  it('the e-mail byte matcher and the regular expression find the same records', () => {
    const random = seeded(9);
    const emails = ['a@b.c', 'a@b', 'a b@c.d', '@b.c', 'a@b.', 'é@b.c', '"a@b.c"', '', 'user1@example.com', 'a@@b.c'];
    const rows = Array.from(
      { length: 400 },
      (_, i) => `${i},1,2024-01-01,2024-01-01,${emails[Math.floor(random() * emails.length)]},x`,
    );
    const data = header + rows.join('\n');
    // The same pattern, spelled so that it has no byte matcher.
    const viaRegex = transform([{ column: 'email', regex: '^(?:[^@\\s]+)@[^@\\s]+\\.[^@\\s]+$', maxInput: 40 }]);
    for (const size of [3, 64, 100_000]) {
      const expected = doubts(data, false, viaRegex, size);
      expect(expected.length).toBeGreaterThan(100);
      expect(doubts(data, false, transform(), size)).toEqual(expected);
    }
  });

  it('holds a rule to its maxInput', () => {
    const long = `${'a'.repeat(40)}@b.c`;
    expect(doubts(`${header}1,1,2024-01-01,2024-01-01,${long},x\n`, false)).toEqual([1]);
  });
});
