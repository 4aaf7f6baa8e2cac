import { pgConnection } from './pg-connection';
import { errorLine } from './pg-process';

describe('pgConnection: the password never reaches argv or a message', () => {
  it('moves the password from the URL to PGPASSWORD and keeps the rest of the URL', () => {
    const connection = pgConnection('postgres://etl:p%40ss%2Fw0rd@db.internal:6432/shop?sslmode=require', {
      PATH: '/usr/bin',
    });
    expect(connection.url).toBe('postgres://etl@db.internal:6432/shop?sslmode=require');
    expect(connection.env).toMatchObject({ PGPASSWORD: 'p@ss/w0rd', PATH: '/usr/bin', PGAPPNAME: 'aoe-admin' });
    expect(connection.database).toBe('shop');
    expect(connection.redact('FATAL: p@ss/w0rd rejected for postgres://etl:p%40ss%2Fw0rd@db/shop')).toBe(
      'FATAL: [redacted] rejected for postgres://etl:[redacted]@db/shop',
    );
  });

  it('leaves PGPASSWORD from the environment alone, and hides it too', () => {
    const connection = pgConnection('postgresql://etl@db/shop', { PGPASSWORD: 'from-env' });
    expect(connection.env.PGPASSWORD).toBe('from-env');
    expect(connection.redact('bad from-env')).toBe('bad [redacted]');
  });

  it('refuses what is not a PostgreSQL URL', () => {
    expect(() => pgConnection('mysql://root@db/x', {})).toThrow(/need a PostgreSQL URL/);
    expect(() => pgConnection('not a url', {})).toThrow(/not a URL/);
  });

  it("picks the tool's error line without its prefix", () => {
    expect(
      errorLine([
        'pg_dump: last built-in OID is 16383',
        'pg_dump: error: query failed: ERROR:  permission denied for table runs',
        'pg_dump: detail: Query was: LOCK TABLE aoe.runs',
      ]),
    ).toBe('query failed: ERROR: permission denied for table runs');
    expect(errorLine(['pg_restore: something odd'])).toBe('something odd');
    expect(errorLine([])).toBeUndefined();
  });
});
