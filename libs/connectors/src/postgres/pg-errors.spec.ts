import { ConnectorError } from '../connector-error';
import { classifyPgError, redact, toConnectorError } from './pg-errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyPgError', () => {
  it.each([
    ['28P01', 'auth'],
    ['28000', 'auth'],
    ['42501', 'auth'],
    ['ECONNREFUSED', 'transient-network'],
    ['57P01', 'transient-network'],
    ['08006', 'transient-network'],
    ['40P01', 'transient-network'],
    ['57014', 'timeout'],
    ['53100', 'resource-exhaustion'],
    ['54000', 'resource-exhaustion'],
    ['42P01', 'schema-drift'],
    ['22P02', 'data-quality'],
    ['23505', 'data-quality'],
    ['42601', 'bug'],
    ['0A000', 'bug'],
    ['XX000', 'unknown'],
  ])('%s is %s', (code, errorClass) => {
    expect(classifyPgError(withCode(code))).toBe(errorClass);
  });

  it('falls back to the message, and keeps a ConnectorError class', () => {
    expect(classifyPgError(new Error('SASL: client password must be a string'))).toBe('auth');
    expect(classifyPgError(new Error('Connection terminated due to connection timeout'))).toBe('timeout');
    expect(classifyPgError(new Error('Connection terminated unexpectedly'))).toBe('transient-network');
    expect(classifyPgError(new ConnectorError('rate-limit', 'x'))).toBe('rate-limit');
    expect(classifyPgError('weird')).toBe('unknown');
    expect(classifyPgError(null)).toBe('unknown');
  });
});

describe('toConnectorError', () => {
  it('names the location, the code and the detail, with secrets removed', () => {
    const error = Object.assign(withCode('23505', 'duplicate key hunter2'), { detail: 'Key (id)=(1) hunter2' });
    const converted = toConnectorError(error, { location: 'postgres://h:5432/d', secrets: ['hunter2', ''] });
    expect(converted.errorClass).toBe('data-quality');
    expect(converted.message).toBe('postgres://h:5432/d: duplicate key [redacted] (Key (id)=(1) [redacted]) [23505]');
    expect(converted.cause).toBe(error);
  });

  it('drops the cause of an auth error, and redacts a ConnectorError only when needed', () => {
    const auth = toConnectorError(withCode('28P01', 'bad'), { location: 'l' });
    expect(auth.cause).toBeUndefined();
    expect(auth.message).toContain('check the user and the password reference');
    const clean = new ConnectorError('bug', 'fine');
    expect(toConnectorError(clean, { location: 'l', secrets: ['zzz'] })).toBe(clean);
    expect(toConnectorError(new ConnectorError('bug', 'has zzz'), { location: 'l', secrets: ['zzz'] }).message).toBe(
      'has [redacted]',
    );
    expect(toConnectorError('text', { location: 'l' }).message).toBe('l: text');
    expect(redact('a b a', ['a'])).toBe('[redacted] b [redacted]');
  });
});
