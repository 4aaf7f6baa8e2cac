import { UnsupportedStoreUrlError } from '../errors';
import { parseStoreUrl } from './open-database';

describe('parseStoreUrl', () => {
  it('recognises PostgreSQL URLs', () => {
    expect(parseStoreUrl('postgres://u@h:5432/db')).toEqual({ engine: 'postgres', url: 'postgres://u@h:5432/db' });
    expect(parseStoreUrl('postgresql://h/db').engine).toBe('postgres');
  });

  it('reads the rest of a pglite URL as a path, or memory', () => {
    expect(parseStoreUrl('pglite://memory')).toEqual({ engine: 'pglite', dataDir: undefined });
    expect(parseStoreUrl('pglite://.aoe/store')).toEqual({ engine: 'pglite', dataDir: '.aoe/store' });
    expect(parseStoreUrl('pglite:///var/lib/aoe')).toEqual({ engine: 'pglite', dataDir: '/var/lib/aoe' });
    expect(parseStoreUrl('pglite://./memory')).toEqual({ engine: 'pglite', dataDir: './memory' });
  });

  it('refuses anything else without echoing a password', () => {
    expect(() => parseStoreUrl('mysql://u@h/db')).toThrow(UnsupportedStoreUrlError);
    expect(() => parseStoreUrl('pglite://')).toThrow(UnsupportedStoreUrlError);
    expect(() => parseStoreUrl('.aoe/store')).toThrow(UnsupportedStoreUrlError);
    expect(() => parseStoreUrl('mysql://user:s3cret@h/db')).toThrow(/mysql:\/\/user:\*\*\*@h\/db/);
  });
});
