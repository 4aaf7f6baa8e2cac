import { createHash } from 'node:crypto';
import type { TransformOp } from '@aoe/contracts';
import type { ColumnSchema, Row } from '@aoe/connectors';
import { PlanError, ResourceLimitError } from '../errors';
import { masker } from './mask';
import { compileTransforms } from './transform-pipeline';

const input: ColumnSchema[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'email', type: 'string', nullable: true },
  { name: 'amount', type: 'string', nullable: true },
  { name: 'country', type: 'string', nullable: true },
  { name: 'card', type: 'string', nullable: true },
];

const rows: Row[] = [
  { id: 1, email: 'A@x.io', amount: '10.5', country: 'FR', card: '4111111111111111' },
  { id: 2, email: 'b@x.io', amount: 'oops', country: 'DE', card: null },
  { id: 3, email: null, amount: '3', country: 'FR', card: '12' },
  { id: 1, email: 'dup@x.io', amount: '1', country: 'FR', card: '5555' },
];
const positions = ['f.csv:2', 'f.csv:3', 'f.csv:4', 'f.csv:5'];

function run(ops: TransformOp[], data: Row[] = rows, options = {}) {
  const pipeline = compileTransforms(ops, input, options);
  return { pipeline, out: pipeline.apply(data, positions.slice(0, data.length)) };
}

describe('compileTransforms', () => {
  it('passes batches through untouched with no ops', () => {
    const { pipeline, out } = run([]);
    expect(pipeline.identity).toBe(true);
    expect(pipeline.outputColumns).toEqual(input);
    expect(out.rows).toEqual(rows);
    expect(out.rows[0]).toBe(rows[0]);
  });

  it('selects, renames and reorders with the output schema known ahead', () => {
    const { pipeline, out } = run([
      { op: 'rename', from: 'email', to: 'mail' },
      { op: 'select', columns: ['mail', 'id'] },
    ]);
    expect(pipeline.outputColumns.map((c) => c.name)).toEqual(['mail', 'id']);
    expect(out.rows[0]).toEqual({ mail: 'A@x.io', id: 1 });
    expect(Object.keys(out.rows[0])).toEqual(['mail', 'id']);
  });

  it('casts, quarantining the rows that do not convert with the op and the value', () => {
    const { pipeline, out } = run([{ op: 'cast', column: 'amount', to: 'number' }]);
    expect(pipeline.outputColumns.find((c) => c.name === 'amount')?.type).toBe('number');
    expect(out.rows.map((r) => r.amount)).toEqual([10.5, 3, 1]);
    expect(out.positions).toEqual(['f.csv:2', 'f.csv:4', 'f.csv:5']);
    expect(out.failures).toEqual([
      {
        position: 'f.csv:3',
        reason: `transform #1 (cast): cannot cast "amount" to number: 'oops' is not a number`,
        row: rows[1],
        stage: 'transform',
      },
    ]);
    // The source rows are never changed: the quarantine keeps what the source produced.
    expect(rows[0].amount).toBe('10.5');
  });

  it('filters with the expression language; null and false both drop the row', () => {
    const { out } = run([{ op: 'filter', expr: "country = 'FR' and email is not null" }]);
    expect(out.rows.map((r) => r.id)).toEqual([1, 1]);
    expect(out.filtered).toBe(2);
  });

  it('derives columns from expressions, including over renamed and cast columns', () => {
    const { pipeline, out } = run([
      { op: 'rename', from: 'amount', to: 'price' },
      { op: 'filter', expr: "price != 'oops'" },
      { op: 'cast', column: 'price', to: 'decimal' },
      { op: 'derive', column: 'amount', expr: 'price * 2' },
      { op: 'derive', column: 'domain', expr: 'lower(substr(email, 3))' },
      { op: 'derive', column: 'id', expr: 'id + 100' },
    ]);
    expect(pipeline.outputColumns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'number'],
      ['email', 'string'],
      ['price', 'decimal'],
      ['country', 'string'],
      ['card', 'string'],
      ['amount', 'number'],
      ['domain', 'string'],
    ]);
    expect(out.rows[0]).toEqual({
      id: 101,
      email: 'A@x.io',
      price: '10.5',
      country: 'FR',
      card: '4111111111111111',
      amount: 21,
      domain: 'x.io',
    });
  });

  it('quarantines rows an expression cannot evaluate', () => {
    const { out } = run([{ op: 'derive', column: 'x', expr: 'to_number(amount) * 2' }]);
    expect(out.rows).toHaveLength(3);
    expect(out.failures[0]).toMatchObject({
      position: 'f.csv:3',
      reason: "transform #1 (derive): to_number(): 'oops' is not a number",
    });
    const filtered = run([{ op: 'filter', expr: 'to_number(amount) > 2' }]).out;
    expect(filtered.failures[0].reason).toContain('transform #1 (filter)');
  });

  it('dedupes on a key within the run, across batches, keeping the first row', () => {
    const { pipeline, out } = run([{ op: 'dedupe', key: ['id'] }]);
    expect(out.rows.map((r) => r.email)).toEqual(['A@x.io', 'b@x.io', null]);
    expect(out.duplicates).toBe(1);
    const again = pipeline.apply([{ ...rows[1] }], ['g.csv:1']);
    expect(again.rows).toHaveLength(0);
    expect(again.duplicates).toBe(1);
  });

  it('dedupes on composite keys and distinguishes types and separators', () => {
    const cols: ColumnSchema[] = [
      { name: 'a', type: 'string', nullable: true },
      { name: 'b', type: 'string', nullable: true },
    ];
    const p = compileTransforms([{ op: 'dedupe', key: ['a', 'b'] }], cols);
    const out = p.apply(
      [
        { a: 'x;', b: 'y' },
        { a: 'x', b: ';y' },
        { a: '1', b: null },
        { a: 1, b: null },
        { a: 'x;', b: 'y' },
        { a: new Date(0), b: null },
        { a: new Date(0), b: null },
      ],
      ['1', '2', '3', '4', '5', '6', '7'],
    );
    expect(out.positions).toEqual(['1', '2', '3', '4', '6']);
  });

  it('stops with a resource error past the key bound', () => {
    const p = compileTransforms([{ op: 'dedupe', key: ['id'] }], input, { maxDistinctKeys: 2 });
    expect(() => p.apply(rows, positions)).toThrow(ResourceLimitError);
  });

  it('masks: hash (salted sha256), redact and partial', () => {
    const { pipeline, out } = run(
      [
        { op: 'mask', column: 'email', style: 'hash' },
        { op: 'mask', column: 'country', style: 'redact' },
        { op: 'mask', column: 'card', style: 'partial' },
      ],
      rows,
      { hashSalt: 'pepper' },
    );
    const expected = createHash('sha256').update('pepperA@x.io').digest('hex');
    expect(out.rows[0]).toMatchObject({ email: expected, country: '[redacted]', card: '************1111' });
    expect(out.rows[1]).toMatchObject({ card: null });
    expect(out.rows[2]).toMatchObject({ email: null, card: '**' });
    expect(pipeline.outputColumns.find((c) => c.name === 'id')?.type).toBe('integer');
    expect(pipeline.outputColumns.find((c) => c.name === 'card')?.type).toBe('string');
  });

  it('reports every problem of the op list at once', () => {
    try {
      compileTransforms(
        [
          { op: 'select', columns: ['id', 'id', 'nope'] },
          { op: 'rename', from: 'ghost', to: 'x' },
          { op: 'rename', from: 'id', to: 'id' },
          { op: 'cast', column: 'missing', to: 'integer' },
          { op: 'filter', expr: 'id +' },
          { op: 'derive', column: 'y', expr: 'zzz * 2' },
          { op: 'dedupe', key: ['nope'] },
          { op: 'mask', column: 'nope', style: 'hash' },
        ],
        input,
      );
      throw new Error('expected a PlanError');
    } catch (error) {
      expect(error).toBeInstanceOf(PlanError);
      const problems = (error as PlanError).problems;
      expect(problems.map((p) => p.where)).toEqual([
        'transform #1 (select)',
        'transform #1 (select)',
        'transform #2 (rename)',
        'transform #4 (cast)',
        'transform #5 (filter)',
        'transform #6 (derive)',
        'transform #7 (dedupe)',
        'transform #8 (mask)',
      ]);
      expect(problems[0].message).toBe('column "id" is selected twice');
      expect(problems[4].message).toContain('unexpected end of expression');
      expect((error as PlanError).isSchemaDrift).toBe(false);
    }
  });

  it('flags a plan whose only problems are missing columns as schema drift', () => {
    try {
      compileTransforms(
        [
          { op: 'filter', expr: 'gone = 1' },
          { op: 'select', columns: ['also_gone'] },
        ],
        input,
      );
    } catch (error) {
      expect((error as PlanError).isSchemaDrift).toBe(true);
    }
    expect.assertions(1);
  });

  it('refuses a rename onto an existing column', () => {
    expect(() => compileTransforms([{ op: 'rename', from: 'id', to: 'email' }], input)).toThrow(
      'cannot rename "id" to "email": a column "email" exists',
    );
  });

  it('keeps renamed columns and new derived columns apart when names are reused', () => {
    const { pipeline, out } = run([
      { op: 'rename', from: 'email', to: 'contact' },
      { op: 'derive', column: 'email', expr: "'new'" },
      { op: 'select', columns: ['contact', 'email'] },
    ]);
    expect(pipeline.outputColumns.map((c) => c.name)).toEqual(['contact', 'email']);
    expect(out.rows[0]).toEqual({ contact: 'A@x.io', email: 'new' });
  });

  it('rethrows errors that are not about a row', () => {
    const p = compileTransforms([{ op: 'derive', column: 'x', expr: 'id' }], input);
    const hostile = {} as Row;
    Object.defineProperty(hostile, 'id', {
      get() {
        throw new TypeError('boom');
      },
      enumerable: true,
    });
    expect(() => p.apply([hostile], ['p'])).toThrow(TypeError);
  });
});

describe('masker', () => {
  it('hashes without a salt, and masks every short value entirely', () => {
    expect(masker('hash')('x')).toBe(createHash('sha256').update('x').digest('hex'));
    expect(masker('partial', { keepLast: 2 })(123456)).toBe('****56');
    expect(masker('partial')('abcd')).toBe('****');
    expect(masker('partial')('ab👋cdef')).toBe('***cdef');
    expect(masker('redact', { redactWith: 'X' })('secret')).toBe('X');
    expect(masker('redact')(null)).toBeNull();
  });
});
