import { clientConfigFor, connectionFactoryFor, locationOf, PgClientFactory } from './pg-connection';
import { ConnectorError } from '../connector-error';

describe('clientConfigFor', () => {
  afterEach(() => {
    delete process.env.AOE_SPEC_PG_PASSWORD;
  });

  it('reads a URL, lets explicit fields win, and resolves the password reference', async () => {
    process.env.AOE_SPEC_PG_PASSWORD = 'secret';
    const config = await clientConfigFor({
      url: 'postgresql://us%40er@db.example:6543/sales%20db?sslmode=verify-full',
      port: 7000,
      password: { env: 'AOE_SPEC_PG_PASSWORD' },
    });
    expect(config).toMatchObject({
      host: 'db.example',
      port: 7000,
      database: 'sales db',
      user: 'us@er',
      password: 'secret',
      ssl: { rejectUnauthorized: true },
    });
  });

  it('maps ssl modes, unix socket hosts and bare fields', async () => {
    expect((await clientConfigFor({ url: 'postgres://u@h/db?sslmode=require' })).ssl).toEqual({
      rejectUnauthorized: false,
    });
    expect((await clientConfigFor({ url: 'postgres://u@h/db?sslmode=disable' })).ssl).toBe(false);
    expect((await clientConfigFor({ url: 'postgres://u@h/db?sslmode=disable', ssl: 'require' })).ssl).toEqual({
      rejectUnauthorized: false,
    });
    expect((await clientConfigFor({ url: 'postgres:///db?host=/var/run/postgresql' })).host).toBe(
      '/var/run/postgresql',
    );
    const bare = await clientConfigFor({ host: 'h', database: 'd', user: 'u', ssl: 'disable' });
    expect(bare).toMatchObject({ host: 'h', database: 'd', user: 'u', ssl: false });
    expect(bare.password).toBeUndefined();
  });

  it('refuses something that is not a postgres URL', async () => {
    await expect(clientConfigFor({ url: 'mysql://h/db' })).rejects.toThrow(ConnectorError);
    await expect(clientConfigFor({ url: 'not a url' })).rejects.toThrow(ConnectorError);
  });
});

describe('locations', () => {
  it('never carry a user or a password', () => {
    expect(locationOf({ host: '::1', port: 5433, database: 'd' })).toBe('postgres://[::1]:5433/d');
    expect(locationOf({})).toBe('postgres://localhost:5432/');
    expect(new PgClientFactory({ url: 'postgres://alice@h:1/db' }).location).toBe('postgres://h:1/db');
    expect(new PgClientFactory({ url: '::bad' }).location).toBe('postgres://localhost:5432/');
    expect(new PgClientFactory({ host: 'x', database: 'y' }).location).toBe('postgres://x:5432/y');
  });

  it('needs a connection or a factory', () => {
    expect(() => connectionFactoryFor(undefined, undefined)).toThrow(ConnectorError);
  });
});
