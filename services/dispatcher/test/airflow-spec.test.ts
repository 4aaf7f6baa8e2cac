import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SPEC_DIR } from './fake-airflow/openapi-contract';

/** The fake Airflow validates against these files, so they must stay byte-for-byte the upstream copies (README.md). */
const UPSTREAM: Record<string, string> = {
  'v2-rest-api-generated.yaml': 'def15014551d3a92b0b41f7d8e4ff969984dac98ded3d5ef20a027895adb427d',
  'v2-simple-auth-manager-generated.yaml': '421f474608fa67a0caae4bfa1f54fa9313d9ea23f252b33a28eab057ffc5afbb',
  'v1.yaml': '2a4398de5ee539ef1b02b09a2aee6e31696a9b33cbaa4e0e29e09816856e82a0',
};

describe('Airflow OpenAPI specification copies', () => {
  it.each(Object.entries(UPSTREAM))('%s is unmodified', async (file, sha256) => {
    const bytes = await readFile(join(SPEC_DIR, file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
  });

  it('the README records each file with its sha256', async () => {
    const readme = await readFile(join(SPEC_DIR, 'README.md'), 'utf8');
    for (const [file, sha256] of Object.entries(UPSTREAM)) {
      expect(readme).toContain(file);
      expect(readme).toContain(sha256);
    }
    expect(readme).toContain('Apache License 2.0');
  });
});
