import type { ValidationRule } from '@aoe/contracts';
import type { ColumnSchema, Row } from '@aoe/connectors';
import { PlanError, ResourceLimitError } from '../errors';
import { unsafePatternReasons } from './safe-pattern';
import { compileValidation } from './validator';

const columns: ColumnSchema[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'email', type: 'string', nullable: true },
  { name: 'age', type: 'integer', nullable: true },
  { name: 'price', type: 'decimal', nullable: true },
  { name: 'seen', type: 'timestamptz', nullable: true },
];

const rows: Row[] = [
  { id: 1, email: 'a@x.io', age: 30, price: '9.99', seen: null },
  { id: 2, email: null, age: 200, price: '1', seen: null },
  { id: 1, email: 'c@x.io', age: 40, price: 'free', seen: null },
  { id: 3, email: 'not-an-email', age: null, price: null, seen: null },
];
const positions = ['p1', 'p2', 'p3', 'p4'];

describe('compileValidation', () => {
  it('passes everything through when there are no rules', () => {
    const v = compileValidation([], columns);
    expect(v.empty).toBe(true);
    expect(v.check(rows, positions).rows).toBe(rows);
    expect(v.finish(0)).toEqual([]);
  });

  it('checks not-null, range, pattern and unique, naming every rule a row broke', () => {
    const v = compileValidation(
      [
        { rule: 'not-null', column: 'email' },
        { rule: 'range', column: 'age', min: 0, max: 120 },
        { rule: 'range', column: 'price', min: 0 },
        { rule: 'pattern', column: 'email', regex: '^[^@]+@[^@]+$' },
        { rule: 'unique', columns: ['id'] },
      ],
      columns,
    );
    const out = v.check(rows, positions);
    expect(out.positions).toEqual(['p1']);
    expect(out.failures).toEqual([
      {
        position: 'p2',
        reason: 'not-null: "email" is null; range: "age" = 200 is outside [0, 120]',
        row: rows[1],
        stage: 'validate',
      },
      expect.objectContaining({ position: 'p3', reason: `range: "price" = 'free' is not a number` }),
      expect.objectContaining({
        position: 'p4',
        reason: `pattern: "email" = 'not-an-email' does not match /^[^@]+@[^@]+$/`,
      }),
    ]);
  });

  it('checks unique across batches; a failed row does not claim its key; nulls never collide', () => {
    const v = compileValidation(
      [
        { rule: 'unique', columns: ['id', 'email'] },
        { rule: 'range', column: 'age', max: 100 },
      ],
      columns,
    );
    const first = v.check(
      [
        { id: 1, email: 'a', age: 500 },
        { id: 1, email: 'a', age: 1 },
        { id: 2, email: null, age: 1 },
        { id: 2, email: null, age: 1 },
      ],
      ['a', 'b', 'c', 'd'],
    );
    expect(first.positions).toEqual(['b', 'c', 'd']);
    const second = v.check([{ id: 1, email: 'a', age: 2 }], ['e']);
    expect(second.failures[0].reason).toBe(`unique: duplicate ("id", "email") = (1, 'a')`);
  });

  it('stops with a resource error past the key bound', () => {
    const v = compileValidation([{ rule: 'unique', columns: ['id'] }], columns, { maxDistinctKeys: 1 });
    expect(() => v.check([{ id: 1 }, { id: 2 }], ['a', 'b'])).toThrow(ResourceLimitError);
  });

  it('checks row counts at the end', () => {
    const v = compileValidation([{ rule: 'row-count', min: 2, max: 3 }], columns);
    expect(v.empty).toBe(true);
    expect(v.finish(1)).toEqual(['row-count: 1 rows, expected at least 2']);
    expect(v.finish(4)).toEqual(['row-count: 4 rows, expected at most 3']);
    expect(v.finish(2)).toEqual([]);
  });

  it('caps the length of values a pattern runs on', () => {
    const v = compileValidation([{ rule: 'pattern', column: 'email', regex: 'x' }], columns, { maxPatternInput: 5 });
    expect(v.check([{ email: 'xxxxxx' }], ['a']).failures[0].reason).toContain('longer than 5');
    expect(v.check([{ email: 42 }], ['a']).failures[0].reason).toContain('does not match');
  });

  it('reports every plan problem at once', () => {
    const rules: ValidationRule[] = [
      { rule: 'not-null', column: 'ghost' },
      { rule: 'unique', columns: ['id', 'ghost'] },
      { rule: 'range', column: 'age' },
      { rule: 'range', column: 'age', min: 5, max: 1 },
      { rule: 'range', column: 'seen', min: 1 },
      { rule: 'pattern', column: 'email', regex: '(a+)+$' },
      { rule: 'pattern', column: 'email', regex: '[unclosed' },
      { rule: 'pattern', column: 'email', regex: 'x'.repeat(40) },
      { rule: 'row-count' },
      { rule: 'range', column: 'ghost', min: 1 },
      { rule: 'pattern', column: 'ghost', regex: 'x' },
    ];
    try {
      compileValidation(rules, columns, { maxPatternLength: 30 });
      throw new Error('expected a PlanError');
    } catch (error) {
      expect(error).toBeInstanceOf(PlanError);
      const messages = (error as PlanError).problems.map((p) => `${p.where}: ${p.message}`);
      expect(messages).toEqual([
        expect.stringContaining('validate rule #1 (not-null): unknown column "ghost"'),
        expect.stringContaining('validate rule #2 (unique): unknown column "ghost"'),
        'validate rule #3 (range): give min, max or both',
        'validate rule #4 (range): min 5 is greater than max 1',
        'validate rule #5 (range): range applies to numbers; "seen" is timestamptz',
        expect.stringContaining('validate rule #6 (pattern): unsafe pattern "(a+)+$": nested quantifier'),
        expect.stringContaining('validate rule #7 (pattern): invalid pattern'),
        'validate rule #8 (pattern): pattern is 40 characters; the limit is 30',
        'validate rule #9 (row-count): give min, max or both',
        expect.stringContaining('validate rule #10 (range): unknown column'),
        expect.stringContaining('validate rule #11 (pattern): unknown column'),
      ]);
    }
  });
});

describe('unsafePatternReasons', () => {
  it.each([
    '^\\d{3}-\\d{4}$',
    '^[A-Z]{2}\\d+$',
    '^\\d+(\\.\\d+)?$',
    '^(foo|bar)+$',
    '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$',
    '(?:ab)*c',
    '(?<year>\\d{4})-(?<month>\\d\\d)',
    '^(\\d+){2}$',
    '[(+*]+',
    '\\(a+\\)+',
    'a{2,3}',
  ])('accepts %s', (pattern) => {
    expect(unsafePatternReasons(pattern)).toEqual([]);
  });

  it.each([
    ['(a+)+$', 'nested quantifier'],
    ['^(\\w*)*@', 'nested quantifier'],
    ['(x?y+){2,}', 'nested quantifier'],
    ['((ab)*c)+', 'nested quantifier'],
    ['(a|aa)*b', 'repeated alternation'],
    ['(\\d|1)+', 'repeated alternation'],
    ['(.|x){10,}', 'repeated alternation'],
    ['(a)\\1', 'back-reference'],
    ['(?<x>a)\\k<x>', 'named back-reference'],
  ])('refuses %s', (pattern, reason) => {
    expect(unsafePatternReasons(pattern).join(' ')).toContain(reason);
  });

  it('finishes quickly on a refused pattern that would otherwise hang', () => {
    const started = Date.now();
    expect(unsafePatternReasons('^(([a-z])+.)+[A-Z]([a-z])+$').length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(50);
  });
});
