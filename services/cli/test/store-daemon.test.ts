import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, waitUntil } from '@aoe/testing';
import { aoe, parseJsonLine, tempDir } from './support';

jest.setTimeout(120_000);

/** The home's store daemon, as the CLI starts, reuses and stops it. */
describe('aoe and its store daemon', () => {
  let home: string;
  const env = () => ({ AOE_HOME: home });

  beforeAll(async () => {
    home = join(await tempDir('store-daemon'), 'home');
  });
  afterAll(async () => {
    await aoe(['store', 'stop'], env());
  });

  it('keeps the store open between commands, and stops it on request', async () => {
    expect((await aoe(['runs'], env())).code).toBe(0);
    expect(existsSync(join(home, 'store.sock'))).toBe(true);
    expect((await aoe(['runs', '--json'], env())).stdout).toBe('[]\n');

    const stopped = parseJsonLine((await aoe(['store', 'stop', '--json'], env())).stdout) as {
      stopped: boolean;
      pid: number;
    };
    expect(stopped).toMatchObject({ home, stopped: true });
    expect(existsSync(join(home, 'store.sock'))).toBe(false);
    await waitUntil(() => !processAlive(stopped.pid) || undefined, 'the stopped daemon to end');

    const again = await aoe(['store', 'stop'], env());
    expect(again).toMatchObject({ code: 0, stdout: `no store daemon is running for ${home}\n`, stderr: '' });
  });

  it('with AOE_STORE_DAEMON=0, stops a running daemon and opens the store itself', async () => {
    expect((await aoe(['runs'], env())).code).toBe(0);
    expect(existsSync(join(home, 'store.sock'))).toBe(true);
    const result = await aoe(['runs', '--json'], { ...env(), AOE_STORE_DAEMON: '0' });
    expect(result).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
    expect(existsSync(join(home, 'store.sock'))).toBe(false);
  });

  it('refuses an idle time that is not a whole number of seconds', async () => {
    const result = await aoe(['runs'], { ...env(), AOE_STORE_IDLE_SECONDS: 'soon' });
    expect(result).toMatchObject({
      code: 2,
      stderr: 'aoe: AOE_STORE_IDLE_SECONDS must be a whole number of seconds from 1 to 86400\n',
    });
  });

  it('has no daemon to stop when the store is in PostgreSQL', async () => {
    const result = await aoe(['store', 'stop'], { ...env(), AOE_STORE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(result.stdout).toBe('the store is in PostgreSQL (AOE_STORE_URL): there is no store daemon\n');
  });
});
