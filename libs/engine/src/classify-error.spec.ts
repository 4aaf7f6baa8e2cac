import { ConnectorError } from '@aoe/connectors';
import { classifyError, ERROR_KINDS, errorKindOf, RETRYABLE_BY_CLASS } from './classify-error';
import {
  CancelledError,
  CastError,
  DataQualityError,
  InjectedFaultError,
  PlanError,
  ResourceLimitError,
} from './errors';
import { EvaluationError, ExpressionError } from './expression/expression-error';

function withCode(message: string, code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('classifyError', () => {
  it.each<[string, unknown, string, boolean]>([
    ['a data-quality error', new DataQualityError('bad rows', []), 'data-quality', false],
    ['a cast failure', new CastError('x'), 'data-quality', false],
    ['an evaluation failure', new EvaluationError('division by zero'), 'data-quality', false],
    ['an invalid plan', new PlanError([{ where: 'w', message: 'm' }]), 'bug', false],
    [
      'a plan over missing columns',
      new PlanError([{ where: 'w', message: 'm', unknownColumn: true }]),
      'schema-drift',
      false,
    ],
    [
      'an invalid expression',
      new ExpressionError('x', [{ code: 'syntax', message: 'm', position: { offset: 0, line: 1, column: 1 } }]),
      'bug',
      false,
    ],
    [
      'an expression over missing columns',
      new ExpressionError('x', [{ code: 'unknown-column', message: 'm', position: { offset: 0, line: 1, column: 1 } }]),
      'schema-drift',
      false,
    ],
    ['a memory bound', new ResourceLimitError('too many keys'), 'resource-exhaustion', false],
    ['a cancel', new CancelledError('stop'), 'unknown', false],
    ['an injected fault', new InjectedFaultError('boom'), 'transient-network', true],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'unknown', false],
    ['a timeout signal', new DOMException('timed out', 'TimeoutError'), 'timeout', true],
    ['a refused connection', withCode('connect ECONNREFUSED', 'ECONNREFUSED'), 'transient-network', true],
    ['a socket timeout', withCode('x', 'ETIMEDOUT'), 'timeout', true],
    ['out of memory', withCode('x', 'ENOMEM'), 'resource-exhaustion', true],
    ['a full disk', withCode('x', 'ENOSPC'), 'resource-exhaustion', false],
    ['too many files', withCode('x', 'EMFILE'), 'resource-exhaustion', true],
    ['a permission', withCode('x', 'EACCES'), 'auth', false],
    ['pg: serialization failure', withCode('x', '40001'), 'transient-network', true],
    ['pg: admin shutdown', withCode('x', '57P01'), 'transient-network', true],
    ['pg: statement timeout', withCode('x', '57014'), 'timeout', true],
    ['pg: disk full', withCode('x', '53100'), 'resource-exhaustion', false],
    ['pg: too many connections', withCode('x', '53300'), 'resource-exhaustion', true],
    ['pg: out of memory', withCode('x', '53200'), 'resource-exhaustion', true],
    ['pg: bad password', withCode('x', '28P01'), 'auth', false],
    ['pg: no privilege', withCode('x', '42501'), 'auth', false],
    ['pg: missing table', withCode('x', '42P01'), 'schema-drift', false],
    ['pg: syntax error', withCode('x', '42601'), 'bug', false],
    ['pg: connection failure', withCode('x', '08006'), 'transient-network', true],
    ['pg: invalid text', withCode('x', '22P02'), 'data-quality', false],
    ['pg: unique violation', withCode('x', '23505'), 'data-quality', false],
    ['pg: unknown class', withCode('x', 'XX000'), 'unknown', true],
    ['http 429', Object.assign(new Error('x'), { status: 429 }), 'rate-limit', true],
    ['http 403', Object.assign(new Error('x'), { statusCode: 403 }), 'auth', false],
    ['http 504', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 504 } }), 'timeout', true],
    ['http 503', Object.assign(new Error('x'), { status: 503 }), 'transient-network', true],
    ['http 404', Object.assign(new Error('x'), { status: 404 }), 'unknown', true],
    ['heap exhaustion', new RangeError('Invalid array length'), 'resource-exhaustion', true],
    ['a dropped connection', new Error('Connection terminated unexpectedly'), 'transient-network', true],
    ['a timeout message', new Error('query read timeout'), 'timeout', true],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'x')"), 'bug', false],
    ['anything else', new Error('?'), 'unknown', true],
    ['a thrown string', 'oops', 'unknown', true],
  ])('classifies %s', (_label, error, klass, retryable) => {
    const classified = classifyError(error);
    expect(classified.class).toBe(klass);
    expect(classified.retryable).toBe(retryable);
  });

  it('keeps the class of a ConnectorError, also from another copy of the module', () => {
    expect(classifyError(new ConnectorError('schema-drift', 'column gone'))).toEqual({
      class: 'schema-drift',
      message: 'column gone',
      retryable: false,
    });
    const foreign = Object.assign(new Error('slow'), { name: 'ConnectorError', errorClass: 'rate-limit', code: 'R1' });
    expect(classifyError(foreign)).toEqual({ class: 'rate-limit', message: 'slow', code: 'R1', retryable: true });
    const fake = Object.assign(new Error('x'), { name: 'ConnectorError', errorClass: 'nonsense' });
    expect(classifyError(fake).class).toBe('unknown');
  });

  it('carries codes and messages', () => {
    expect(classifyError(withCode('duplicate key', '23505'))).toEqual({
      class: 'data-quality',
      message: 'duplicate key',
      code: '23505',
      retryable: false,
    });
    expect(errorKindOf(new DataQualityError('x', []))).toEqual({ kind: 'data-quality', code: 'DATA_QUALITY' });
  });

  it('has one consistent table', () => {
    for (const entry of Object.values(ERROR_KINDS)) expect(RETRYABLE_BY_CLASS).toHaveProperty(entry.class);
  });
});

describe('DataQualityError', () => {
  it('lists the first failures in its message', () => {
    const failures = Array.from({ length: 7 }, (_, i) => ({
      position: `f:${i}`,
      reason: 'bad',
      row: {},
      stage: 'validate' as const,
    }));
    const error = new DataQualityError('7 rows failed', failures);
    expect(error.message).toBe('7 rows failed: f:0: bad; f:1: bad; f:2: bad; f:3: bad; f:4: bad; and 2 more');
    expect(error.failures).toHaveLength(7);
    expect(error).toBeInstanceOf(DataQualityError);
  });
});
