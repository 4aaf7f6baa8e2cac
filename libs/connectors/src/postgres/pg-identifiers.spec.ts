import { ConnectorError } from '../connector-error';
import { assertIdentifierFits, qualifiedName, quoteIdent, stagingTableName } from './pg-identifiers';

describe('identifiers', () => {
  it('quotes every name, doubling its quotes', () => {
    expect(quoteIdent('select')).toBe('"select"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('"; DROP TABLE x; --')).toBe('"""; DROP TABLE x; --"');
    expect(qualifiedName('s"', 't')).toBe('"s"""."t"');
    expect(qualifiedName(undefined, 't')).toBe('"t"');
    expect(qualifiedName('', 't')).toBe('"t"');
    expect(() => quoteIdent('')).toThrow(ConnectorError);
    expect(() => quoteIdent('a\u0000b')).toThrow(ConnectorError);
  });

  it('refuses names beyond 63 bytes', () => {
    expect(() => assertIdentifierFits('é'.repeat(32), 'column name')).toThrow(/longer than 63 bytes/);
    expect(() => assertIdentifierFits('x'.repeat(63), 'column name')).not.toThrow();
  });

  it('names staging tables stably per run, task and target, within 63 bytes', () => {
    const target = { schema: 'public', name: 'orders' };
    const a = stagingTableName('6f1c2a90-1111-4e0e-9c3b-7f1e2d3c4b5a', 'load-orders-into-warehouse', target);
    expect(a).toBe(stagingTableName('6f1c2a90-1111-4e0e-9c3b-7f1e2d3c4b5a', 'load-orders-into-warehouse', target));
    expect(a).toMatch(/^_aoe_stage_6f1c2a9011114e0e_loadordersin_[0-9a-f]{16}$/);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(stagingTableName('r', 't', { ...target, name: 'other' })).not.toBe(stagingTableName('r', 't', target));
    expect(stagingTableName('r', 't2', target)).not.toBe(stagingTableName('r', 't', target));
  });
});
