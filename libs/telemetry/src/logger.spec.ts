import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { REDACTED, redactSecrets, scrubText } from './redact';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('logs never carry secrets', () => {
  it('redacts secret-named fields, URL passwords and bearer tokens in every line', () => {
    const { lines, destination } = capture();
    const logger = createLogger('test', { destination, level: 'info' });
    logger.info(
      {
        connection: { url: 'postgres://etl:s3cr3t-pw@db:5432/shop', password: 'p@ss-inline', user: 'etl' },
        headers: { Authorization: 'Bearer abc.def.ghi-token' },
        apiKey: 'key-123456',
        spec: { password: { env: 'PG_PASSWORD' } },
      },
      'connecting with Bearer zzzzzzzzzzzz and postgres://a:hunter2@h/db',
    );
    logger.error(new Error('login failed for postgres://etl:s3cr3t-pw@db/shop'));
    const text = lines.join('');
    for (const secret of ['s3cr3t-pw', 'p@ss-inline', 'abc.def.ghi-token', 'key-123456', 'zzzzzzzzzzzz', 'hunter2']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('PG_PASSWORD'); // a reference is not a secret
    expect(text).toContain('"user":"etl"');
  });

  it('scrubs text and survives cycles', () => {
    expect(scrubText('mysql://root:toor@localhost/x')).toBe(`mysql://root:${REDACTED}@localhost/x`);
    const cyclic: Record<string, unknown> = { token: 't0ken' };
    cyclic.self = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ token: REDACTED, self: '[…]' });
  });
});
