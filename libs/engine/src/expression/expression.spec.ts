import type { Row } from '@aoe/connectors';
import { compile, compileOrThrow } from './compiler';
import { EvaluationError, ExpressionError, type ExpressionProblem } from './expression-error';
import { tokenize } from './lexer';
import { parse, DEFAULT_LIMITS } from './parser';
import type { ColumnBinding } from './types';

const columns: ColumnBinding[] = [
  { name: 'id', type: 'integer' },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'decimal' },
  { name: 'qty', type: 'integer' },
  { name: 'active', type: 'boolean' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'weird col', type: 'string' },
  { name: 'Email', type: 'string' },
  { name: 'payload', type: 'json' },
  { name: 'anything' },
  { name: 'other' },
];

const row: Row = {
  id: 7,
  name: '  Ada Lovelace ',
  amount: '12.50',
  qty: 3,
  active: true,
  created_at: new Date('2024-03-01T10:00:00Z'),
  'weird col': 'w',
  Email: 'ADA@EXAMPLE.COM',
  payload: { a: 1 },
  anything: null,
};

function evaluate(text: string, r: Row = row): unknown {
  return compileOrThrow(text, columns).evaluate(r);
}

function problems(text: string): ExpressionProblem[] {
  const result = compile(text, columns);
  if (result.ok) throw new Error(`expected ${text} to fail`);
  return result.error.problems;
}

describe('tokenizer', () => {
  it('splits numbers, strings, identifiers and operators with offsets', () => {
    const tokens = tokenize(`a<>'it''s' || "x y" >= 1.5e3`, DEFAULT_LIMITS);
    expect(tokens.map((t) => [t.kind, t.text, t.offset])).toEqual([
      ['identifier', 'a', 0],
      ['operator', '!=', 1],
      ['string', "it's", 3],
      ['operator', '||', 11],
      ['quoted-identifier', 'x y', 14],
      ['operator', '>=', 20],
      ['number', '1.5e3', 23],
      ['end', '', 28],
    ]);
    expect(tokens[6].number).toBe(1500);
  });

  it.each([
    ['1; DROP TABLE users', 'unexpected character ";"', 1],
    ["name = 'x' -- comment", 'starts a SQL comment', 11],
    ['`id` = 1', 'unexpected character "`"', 0],
    ['id = $1', 'unexpected character "$"', 5],
    ["'unterminated", 'unterminated string literal', 0],
    ['"open', 'unterminated quoted identifier', 0],
    ['""', 'empty quoted identifier', 0],
    ['1e+', 'malformed number exponent', 1],
    ['12abc', 'after a number', 2],
    ['id == 1', 'use "=" for equality', 3],
    ['id = \u0000', 'unexpected character "\\u0000"', 5],
  ])('refuses %j', (text, message, offset) => {
    try {
      compile(text, columns);
      parse(text);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      const problem = (error as ExpressionError).problems[0];
      expect(problem.message).toContain(message);
      expect(problem.position.offset).toBe(offset);
    }
  });

  it('reports line and column on multi-line text', () => {
    const [problem] = problems('id = 1\n  and ; ');
    expect(problem.position).toEqual({ offset: 13, line: 2, column: 7 });
  });

  it('refuses overlong text and too many tokens', () => {
    expect(problems('1 + '.repeat(600) + '1')[0]).toMatchObject({ code: 'limit' });
    const result = compile('1+1+1+1', columns, { limits: { maxTokens: 5 } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.problems[0].message).toContain('more than 5 tokens');
  });
});

describe('parser', () => {
  it('builds the tree with SQL precedence', () => {
    expect(parse('a or b and not c = 1 + 2 * 3')).toMatchObject({
      kind: 'binary',
      op: 'or',
      right: {
        kind: 'binary',
        op: 'and',
        right: {
          kind: 'not',
          operand: { kind: 'binary', op: '=', right: { op: '+', right: { op: '*' } } },
        },
      },
    });
    expect(parse("x || 'a' = 'ba'")).toMatchObject({ op: '=', left: { op: '||' } });
    expect(parse('-2')).toEqual({ kind: 'literal', value: -2, offset: 0 });
    expect(parse('-x')).toMatchObject({ kind: 'negate' });
  });

  it('parses IS [NOT] NULL, [NOT] IN and calls, case-insensitively', () => {
    expect(parse('a IS NOT NULL')).toMatchObject({ kind: 'is-null', negated: true });
    expect(parse('a not in (1, 2)')).toMatchObject({ kind: 'in', negated: true, list: [{ value: 1 }, { value: 2 }] });
    expect(parse('LOWER(a)')).toMatchObject({ kind: 'call', name: 'lower' });
    expect(parse('f()')).toMatchObject({ kind: 'call', args: [] });
    expect(parse('TRUE and False or NULL')).toMatchObject({ kind: 'binary' });
  });

  it.each([
    ['a < b < c', 'comparisons do not chain'],
    ['a = 1 is null', 'comparisons do not chain'],
    ['(a = 1', 'expected ")"'],
    ['a in ()', 'IN needs at least one value'],
    ['a in 1', 'expected "("'],
    ['a is 1', 'expected NULL after IS'],
    ['a is not 1', 'expected NULL after IS NOT'],
    ['a = ', 'unexpected end of expression'],
    ['a b', 'unexpected "b" after the end of the expression'],
    ['and', 'unexpected keyword "and"'],
    ['a not b', 'unexpected "not"'],
    ['*', 'unexpected "*"'],
    ['f(1,', 'unexpected end'],
    ['f(1 2)', 'expected ")"'],
  ])('refuses %j', (text, message) => {
    expect(() => parse(text)).toThrow(ExpressionError);
    expect(() => parse(text)).toThrow(message);
  });

  it('caps nesting depth', () => {
    const deep = '('.repeat(200) + '1' + ')'.repeat(200);
    expect(() => parse(deep)).toThrow(/nested more than 64 levels/);
    const deepNot = 'not '.repeat(100) + 'true';
    expect(() => parse(deepNot)).toThrow(/nested more than/);
    const deepNeg = '- '.repeat(100) + 'x';
    expect(() => parse(deepNeg)).toThrow(/nested more than/);
    expect(() => parse('('.repeat(20) + '1' + ')'.repeat(20))).not.toThrow();
  });

  it('caps the depth of a long left-leaning chain', () => {
    const chain = Array.from({ length: 300 }, () => 'x').join(' + ');
    expect(() => parse(chain)).toThrow(/tree is \d+ levels deep/);
  });

  it('survives hostile input without hanging or throwing anything but ExpressionError', () => {
    const hostile = [
      '1; DROP TABLE t; --',
      "name = 'a'; DELETE FROM x",
      "');DROP TABLE t;--",
      'constructor',
      '__proto__',
      'process.exit(1)',
      'require("fs")',
      'this',
      '${1+1}',
      '\\u0061',
      '((((',
      '))))',
      '"',
      "'",
      '1 + + 1',
      'x'.repeat(3000),
    ];
    for (const text of hostile) {
      const result = compile(text, columns);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toBeInstanceOf(ExpressionError);
    }
  });
});

describe('compile: checking against the schema', () => {
  it('reports every unknown column and function at once, with positions', () => {
    const found = problems('nme = 1 and frobnicate(id) and now() > 0');
    expect(found.map((p) => p.code)).toEqual(['unknown-column', 'unknown-function', 'unknown-function']);
    expect(found[0]).toMatchObject({
      message: expect.stringContaining('did you mean "name"'),
      position: { offset: 0 },
    });
    expect(found[1].message).toContain('allowed: abs, coalesce');
    expect(found[2].message).toContain('deterministic');
  });

  it('does not resolve built-in object properties as columns or functions', () => {
    expect(problems('constructor = 1')[0].code).toBe('unknown-column');
    expect(problems('__proto__(1)')[0].code).toBe('unknown-function');
    expect(problems('tostring(id)')[0].code).toBe('unknown-function');
  });

  it('hints single quotes when a double-quoted name looks like a string', () => {
    expect(problems('name = "Ada Lovelace"')[0].message).toContain('for a string use single quotes');
  });

  it('resolves quoted names exactly and bare names case-insensitively when unambiguous', () => {
    expect(evaluate('"weird col"')).toBe('w');
    expect(evaluate('email')).toBe('ADA@EXAMPLE.COM');
    expect(problems('"email" = 1')[0].code).toBe('unknown-column');
    expect(compile('a', [{ name: 'A' }, { name: 'a' }]).ok).toBe(true);
    const ambiguous = compile('ab', [{ name: 'Ab' }, { name: 'AB' }]);
    expect(ambiguous.ok).toBe(false);
  });

  it('reports arity and type problems', () => {
    expect(problems('lower(name, id)')[0]).toMatchObject({
      code: 'arity',
      message: 'lower() takes 1 argument(s), got 2',
    });
    expect(problems('substr(name)')[0].message).toContain('2 to 3');
    expect(problems('coalesce()')[0].message).toContain('at least 1');
    expect(problems('name + 1')[0]).toMatchObject({ code: 'type', message: expect.stringContaining('to_number') });
    expect(problems('id = name')[0].message).toContain('cannot compare number with string');
    expect(problems('active and 1')[0].message).toContain('AND needs booleans');
    expect(problems('not name')[0].message).toContain('NOT needs a boolean');
    expect(problems('-name')[0].message).toContain('"-" needs a number');
    expect(problems('round(name)')[0].message).toContain('round() needs a number');
    expect(problems('abs(active)')[0].message).toContain('abs() needs a number');
    expect(problems('to_number(active)')[0].message).toContain('to_number() needs text');
    expect(problems('lower(payload)')[0].message).toContain('lower() needs text');
    expect(problems('substr(payload, 1)')[0].message).toContain('substr() needs text');
    expect(problems('coalesce(name, 1)')[0].message).toContain('share one type');
    expect(problems("created_at > 'yesterday'")[0].message).toContain('is not a date');
    expect(problems('payload < payload')[0].message).toContain('only = and != apply');
  });

  it('requires a condition when asked', () => {
    const result = compile('id + 1', columns, { expect: 'boolean' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('a filter must be a condition');
    expect(compile('anything', columns, { expect: 'boolean' }).ok).toBe(true);
  });

  it('infers the type a derive produces and the columns it reads', () => {
    const e = compileOrThrow('coalesce(qty, id) * 2', columns);
    expect(e.type).toBe('number');
    expect(e.logicalType).toBe('number');
    expect([...e.columns].sort()).toEqual(['id', 'qty']);
    expect(compileOrThrow('qty', columns).logicalType).toBe('integer');
    expect(compileOrThrow('coalesce(qty, null)', columns).logicalType).toBe('integer');
    expect(compileOrThrow('created_at', columns).logicalType).toBe('timestamptz');
    expect(compileOrThrow('id > 1', columns).logicalType).toBe('boolean');
    expect(compileOrThrow("name || '!'", columns).logicalType).toBe('string');
    expect(compileOrThrow('anything', columns).logicalType).toBe('string');
  });

  it('throws the ExpressionError from compileOrThrow', () => {
    expect(() => compileOrThrow('nope', columns)).toThrow(ExpressionError);
    expect(new ExpressionError('x', []).onlyUnknownColumns).toBe(false);
  });

  it('reads row properties through column bindings with a key', () => {
    const e = compileOrThrow('renamed + 1', [{ name: 'renamed', type: 'integer', key: 'original' }]);
    expect(e.evaluate({ original: 41 })).toBe(42);
    expect(e.columns).toEqual(['renamed']);
  });
});

describe('evaluation', () => {
  it('does arithmetic over numbers and numeric text (decimals travel as text)', () => {
    expect(evaluate('amount * qty')).toBe(37.5);
    expect(evaluate('id % 4 + -1')).toBe(2);
    expect(evaluate('id / 2')).toBe(3.5);
    expect(evaluate('-amount')).toBe(-12.5);
    expect(evaluate('(id - 1) * (qty + 1)')).toBe(24);
  });

  it('turns runtime problems into EvaluationErrors', () => {
    expect(() => evaluate('id / (qty - 3)')).toThrow(new EvaluationError('division by zero'));
    expect(() => evaluate('id % 0')).toThrow('division by zero');
    expect(() => evaluate('amount + 1', { ...row, amount: 'n/a' })).toThrow("'n/a' is not a number");
    expect(() => evaluate('1e308 * 10 + id')).toThrow('numeric overflow');
    expect(() => evaluate('to_number(name)')).toThrow(EvaluationError);
    expect(() => evaluate('anything and true', { ...row, anything: 5 })).toThrow('is not a boolean');
    expect(() => evaluate('-anything', { ...row, anything: 'x' })).toThrow('is not a number');
    expect(() => evaluate('anything = 1', { ...row, anything: { a: 1 } })).toThrow('is not a number');
    expect(() => evaluate('anything = other', { ...row, anything: { a: 1 }, other: 1 })).toThrow('cannot compare');
    expect(() => evaluate('anything = other', { ...row, anything: 'x', other: 1 })).toThrow('cannot compare');
    expect(() => evaluate('anything > created_at', { ...row, anything: 'not a date' })).toThrow('is not a date');
  });

  it('follows SQL three-valued logic', () => {
    const r = { ...row, anything: null };
    expect(evaluate('anything = 1', r)).toBeNull();
    expect(evaluate('anything = 1 and false', r)).toBe(false);
    expect(evaluate('anything = 1 and true', r)).toBeNull();
    expect(evaluate('anything = 1 or true', r)).toBe(true);
    expect(evaluate('anything = 1 or false', r)).toBeNull();
    expect(evaluate('not (anything = 1)', r)).toBeNull();
    expect(evaluate('not active')).toBe(false);
    expect(evaluate('true or anything', r)).toBe(true);
    expect(evaluate('false and anything', r)).toBe(false);
    expect(evaluate('anything is null', r)).toBe(true);
    expect(evaluate('anything is not null', r)).toBe(false);
    expect(evaluate('anything || name', r)).toBeNull();
    expect(evaluate('name || anything', r)).toBeNull();
    expect(evaluate('anything + 1', r)).toBeNull();
    expect(evaluate('1 + anything', r)).toBeNull();
    expect(evaluate('-anything', r)).toBeNull();
    expect(evaluate('anything is null', { ...row, anything: undefined as never })).toBe(true);
  });

  it('compares numbers, text, booleans, dates and mixed dynamic values', () => {
    expect(evaluate('amount >= 12.5 and amount < 13 and amount != 1')).toBe(true);
    expect(evaluate("name > '  A' and name <= '  B'")).toBe(true);
    expect(evaluate("created_at > '2024-02-29' and created_at < '2024-03-01T11:00:00+00:00'")).toBe(true);
    expect(evaluate("created_at = '2024-03-01 12:00:00+02'")).toBe(true);
    expect(evaluate('active = true and active > false')).toBe(true);
    expect(evaluate('1 < qty')).toBe(true);
    expect(evaluate('payload = payload')).toBe(true);
    expect(evaluate('anything = 12', { ...row, anything: '12.0' })).toBe(true);
    expect(evaluate("anything = 'b'", { ...row, anything: 'b' })).toBe(true);
    expect(evaluate("anything < 'b'", { ...row, anything: 'a' })).toBe(true);
    expect(evaluate('anything = amount', { ...row, anything: '12.5' })).toBe(true);
    expect(evaluate("anything > '2024-01-01'", { ...row, anything: new Date('2024-06-01') })).toBe(true);
    expect(evaluate('anything = true', { ...row, anything: true })).toBe(true);
    expect(evaluate('anything = id', { ...row, anything: 7 })).toBe(true);
    expect(evaluate('anything = payload', { ...row, anything: { a: 1 } })).toBe(true);
  });

  it('evaluates IN with SQL null semantics, through sets and one by one', () => {
    expect(evaluate('id in (1, 7)')).toBe(true);
    expect(evaluate('id not in (1, 7)')).toBe(false);
    expect(evaluate('id in (1, 2)')).toBe(false);
    expect(evaluate('id in (1, null)')).toBeNull();
    expect(evaluate('id not in (1, null)')).toBeNull();
    expect(evaluate("trim(name) in ('Ada Lovelace', 'x')")).toBe(true);
    expect(evaluate("'Ada' in ('Ada', null)")).toBe(true);
    expect(evaluate('amount in (12.5)')).toBe(true);
    expect(evaluate('id in (qty + 4, 1)')).toBe(true);
    expect(evaluate('id in (qty, null)')).toBeNull();
    expect(evaluate('id not in (qty)')).toBe(true);
    expect(evaluate('anything in (1, 2)', { ...row, anything: null })).toBeNull();
    expect(evaluate("created_at in ('2024-03-01T10:00:00Z')")).toBe(true);
  });

  it('runs the whitelisted functions', () => {
    expect(evaluate('lower(email)')).toBe('ada@example.com');
    expect(evaluate('upper(trim(name))')).toBe('ADA LOVELACE');
    expect(evaluate('length(name)')).toBe(15);
    expect(evaluate("length('héllo 👋')")).toBe(7);
    expect(evaluate('coalesce(anything, name)')).toBe(row.name);
    expect(evaluate('coalesce(anything, null)')).toBeNull();
    expect(evaluate("concat('#', id, anything, '-', active)")).toBe('#7-true');
    expect(evaluate("substr('hello', 2, 3)")).toBe('ell');
    expect(evaluate("substr('hello', 0, 3)")).toBe('he');
    expect(evaluate("substr('hello', 3)")).toBe('llo');
    expect(evaluate("substr('hello', 9)")).toBe('');
    expect(evaluate("substr('héllo👋x', 5, 2)")).toBe('o👋');
    expect(evaluate('substr(anything, 1)')).toBeNull();
    expect(() => evaluate("substr('x', 1, -1)")).toThrow('negative substring length');
    expect(() => evaluate("substr('x', 1.5)")).toThrow('must be an integer');
    expect(evaluate('round(1.005, 2)')).toBe(1.01);
    expect(evaluate('round(-2.5)')).toBe(-3);
    expect(evaluate('round(1234.5, -2)')).toBe(1200);
    expect(evaluate('round(anything)')).toBeNull();
    expect(() => evaluate('round(1, 20)')).toThrow('between -15 and 15');
    expect(evaluate('abs(-4.5)')).toBe(4.5);
    expect(evaluate('abs(anything)')).toBeNull();
    expect(evaluate("to_number(' 42.5 ')")).toBe(42.5);
    expect(evaluate('to_number(id)')).toBe(7);
    expect(evaluate('to_number(anything)')).toBeNull();
    expect(evaluate('lower(anything)')).toBeNull();
    expect(evaluate('lower(created_at)')).toBe('2024-03-01t10:00:00.000z');
    expect(evaluate("'#' || id || active")).toBe('#7true');
  });

  it('is deterministic: the same row gives the same value every time', () => {
    const e = compileOrThrow("concat(lower(trim(name)), '-', round(amount * qty, 1))", columns);
    const values = Array.from({ length: 5 }, () => e.evaluate(row));
    expect(new Set(values)).toEqual(new Set(['ada lovelace-37.5']));
  });
});

describe('ExpressionError', () => {
  it('carries the expression and problems and a readable message', () => {
    const result = compile('x = 1', columns);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.expression).toBe('x = 1');
    expect(result.error.code).toBe('EXPRESSION_INVALID');
    expect(result.error.message).toMatch(/unknown column "x".*line 1, column 1/);
    expect(result.error.onlyUnknownColumns).toBe(true);
    expect(result.error).toBeInstanceOf(Error);
  });
});
