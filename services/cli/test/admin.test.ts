import { createHash } from 'node:crypto';
import { openStore } from '@aoe/store';
import { dropTestSchema, testDatabaseUrl, uniqueName } from '@aoe/testing';
import { aoe } from './support';

describe('aoe admin api-key', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { DATABASE_URL: await testDatabaseUrl(), AOE_STORE_SCHEMA: uniqueName('cli_admin') };
  });
  afterAll(() => dropTestSchema(env.DATABASE_URL, env.AOE_STORE_SCHEMA));

  it('creates a key shown once, stores only its hash, lists it without secrets, and revokes it', async () => {
    const created = await aoe(['admin', 'api-key', 'create', '--scope', 'write', '--name', 'ci', '--json'], env);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; scope: string; name: string };
    expect(key).toMatchObject({ scope: 'write', name: 'ci' });
    expect(key.key).toMatch(new RegExp(`^aoe_${key.id}_`));

    const store = await openStore({ url: env.DATABASE_URL, schema: env.AOE_STORE_SCHEMA });
    try {
      const stored = await store.apiKeys.get(key.id);
      const secret = key.key.slice(`aoe_${key.id}_`.length);
      expect(stored?.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(stored)).not.toContain(secret);
    } finally {
      await store.close();
    }

    const listed = await aoe(['admin', 'api-key', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key.key.slice(-12));
    expect(listed.stdout).not.toContain('secretHash');
    const [entry] = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(entry).toMatchObject({ id: key.id, name: 'ci', scope: 'write' });
    expect(entry.revokedAt).toBeUndefined();

    const revoked = await aoe(['admin', 'api-key', 'revoke', key.id], env);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${key.id} (write)\n` });
    const after = JSON.parse((await aoe(['admin', 'api-key', 'list', '--json'], env)).stdout) as Array<{
      revokedAt?: string;
    }>;
    expect(after[0].revokedAt).toEqual(expect.any(String));
  });

  it('refuses an unknown scope, an unknown key and a missing DATABASE_URL with one line', async () => {
    expect(await aoe(['admin', 'api-key', 'create', '--scope', 'root'], env)).toMatchObject({
      code: 2,
      stderr: 'aoe: --scope is one of read, write, admin\n',
    });
    expect((await aoe(['admin', 'api-key', 'revoke', 'nope'], env)).stderr).toBe('aoe: no api key "nope"\n');
    expect((await aoe(['admin', 'api-key', 'list'], { DATABASE_URL: '' })).stderr).toBe(
      'aoe: set DATABASE_URL to the store the gateway uses\n',
    );
  });
});
