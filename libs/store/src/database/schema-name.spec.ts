import { InvalidSchemaNameError } from '../errors';
import { quoteSchema, validateSchemaName } from './schema-name';

describe('schema names', () => {
  it.each(['aoe', 'store_lz1x_0a1b2c3d', '_private', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(validateSchemaName(name)).toBe(name);
    expect(quoteSchema(name)).toBe(`"${name}"`);
  });

  it.each([
    '',
    'Aoe',
    '1st',
    'a-b',
    'a b',
    'a'.repeat(64),
    'pg_temp',
    'aoe"; DROP SCHEMA public CASCADE; --',
    'aoe;',
    "aoe'",
    'ä',
  ])('refuses %j', (name) => {
    expect(() => validateSchemaName(name)).toThrow(InvalidSchemaNameError);
    expect(() => quoteSchema(name)).toThrow(/invalid store schema name/);
  });
});
