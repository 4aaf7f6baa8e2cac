import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrubSecrets, SourceConnectionChecker } from './source-connection.checker';

describe('scrubSecrets', () => {
  it('replaces every resolved env and file credential a driver echoed', () => {
    process.env.SCRUB_TEST_SECRET = 's3cr3t-value';
    const file = join(mkdtempSync(join(tmpdir(), 'scrub-')), 'token');
    writeFileSync(file, 'file-token-123\n');
    const spec = {
      kind: 'http',
      auth: { token: { file } },
      connection: { password: { env: 'SCRUB_TEST_SECRET' }, missing: { env: 'SCRUB_TEST_UNSET' } },
      other: { file: '/does/not/exist' },
    };
    const message = 'login failed for s3cr3t-value with file-token-123 (s3cr3t-value)';
    expect(scrubSecrets(message, spec)).toBe('login failed for *** with *** (***)');
    expect(scrubSecrets('nothing secret', null)).toBe('nothing secret');
  });
});

describe('SourceConnectionChecker', () => {
  it('reports a failing check as ok: false, without throwing', async () => {
    const result = await new SourceConnectionChecker().check({
      kind: 'file',
      path: '/definitely/not/here.csv',
      format: 'auto',
      compression: 'auto',
    } as never);
    expect(result.ok).toBe(false);
  });
});
