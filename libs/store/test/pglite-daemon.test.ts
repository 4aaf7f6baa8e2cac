import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { processAlive as alive, waitUntil } from '@aoe/testing';
import { openPgliteDaemonDatabase, stopPgliteDaemon, type PgliteDaemonOptions } from '../src';
import { encodeFrame, FrameDecoder } from '../src/database/pglite-daemon';

jest.setTimeout(120_000);

/** The store daemon: real processes, a real Unix socket, PGlite on disk. */
describe('the PGlite store daemon', () => {
  const homes: string[] = [];
  const started = new Set<number>();

  function options(overrides: Partial<PgliteDaemonOptions> = {}): PgliteDaemonOptions {
    const home = mkdtempSync(join(tmpdir(), 'aoe-daemon-'));
    homes.push(home);
    return {
      dataDir: join(home, 'store'),
      socketPath: join(home, 'store.sock'),
      logPath: join(home, 'store-daemon.log'),
      schema: 'public',
      idleMs: 60_000,
      ...overrides,
    };
  }

  async function open(opts: PgliteDaemonOptions) {
    const opened = await openPgliteDaemonDatabase(opts);
    started.add(opened.pid);
    return opened;
  }

  afterAll(async () => {
    for (const home of homes) {
      await stopPgliteDaemon(join(home, 'store.sock')).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('starts once, then serves the next client from the same process, with the data and values kept', async () => {
    const opts = options();
    const first = await open(opts);
    expect(first.started).toBe(true);
    await first.db.query('CREATE TABLE items (id int PRIMARY KEY, at timestamptz, doc jsonb)');
    await first.db.query('INSERT INTO items VALUES ($1, $2, $3)', [1, '2026-11-26T08:00:00Z', '{"a":[1]}']);
    await first.db.close();
    expect(alive(first.pid)).toBe(true);

    const second = await open(opts);
    expect(second).toMatchObject({ started: false, pid: first.pid });
    const { rows } = await second.db.query('SELECT id, at, doc FROM items');
    expect(rows).toEqual([{ id: 1, at: new Date('2026-11-26T08:00:00Z'), doc: { a: [1] } }]);
    await expect(second.db.query('INSERT INTO items (id) VALUES (1)')).rejects.toMatchObject({
      code: '23505',
      constraint: 'items_pkey',
    });
    await second.db.close();
  });

  it("rolls back what a client left open and resets its session before the next client's turn", async () => {
    const opts = options();
    const first = await open(opts);
    await first.db.query('CREATE SCHEMA other');
    await first.db.query('CREATE TABLE public.items (id int)');
    await first.db.query('BEGIN');
    await first.db.query('INSERT INTO public.items VALUES (1)');
    await first.db.query('SET search_path TO other');
    await first.db.close();

    const second = await open({ ...opts, schema: 'public' });
    const { rows } = await second.db.query<{ n: number; path: string }>(
      `SELECT (SELECT count(*)::int FROM items) AS n, current_setting('search_path') AS path`,
    );
    expect(rows).toEqual([{ n: 0, path: 'public' }]);
    await second.db.close();
  });

  it('serves one client at a time: the second is greeted when the first leaves', async () => {
    const opts = options();
    const first = await open(opts);
    let secondOpen = false;
    const second = open(opts).then((opened) => {
      secondOpen = true;
      return opened;
    });
    await delay(300);
    expect(secondOpen).toBe(false);
    await first.db.close();
    const opened = await second;
    expect(opened.pid).toBe(first.pid);
    await opened.db.close();
  });

  it('ends after its idle time without a client, removing its socket', async () => {
    const opts = options({ idleMs: 200 });
    const { db, pid } = await open(opts);
    await db.query('SELECT 1');
    await db.close();
    await waitUntil(() => (!alive(pid) && !existsSync(opts.socketPath)) || undefined, 'the idle daemon ended');
    // Its data are kept: the next client starts a new daemon on them.
    const next = await open(opts);
    expect(next.started).toBe(true);
    expect(next.pid).not.toBe(pid);
    await next.db.close();
  });

  it('ends at once when its data directory is removed', async () => {
    const opts = options();
    const { db, pid } = await open(opts);
    await db.close();
    rmSync(opts.dataDir, { recursive: true, force: true });
    await waitUntil(() => !alive(pid) || undefined, 'the daemon of a removed home ended');
  });

  it('stops on request, and says when there is none to stop', async () => {
    const opts = options();
    const { db, pid } = await open(opts);
    await db.close();
    expect(readFileSync(`${opts.socketPath}.pid`, 'utf8')).toBe(String(pid));
    expect(await stopPgliteDaemon(opts.socketPath)).toBe(pid);
    expect(existsSync(opts.socketPath)).toBe(false);
    expect(existsSync(`${opts.socketPath}.pid`)).toBe(false);
    await waitUntil(() => !alive(pid) || undefined, 'the stopped daemon ended');
    expect(await stopPgliteDaemon(opts.socketPath)).toBeUndefined();
  });

  it('replaces a daemon of another build, and a socket nothing listens on', async () => {
    const opts = options();
    // Another build's daemon: greets with its build, and on shutdown acknowledges and goes away.
    const impostor = createServer((socket) => {
      socket.write(encodeFrame({ hello: { build: 'an-older-aoe', pid: 4242 } }));
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const message of decoder.push(chunk)) {
          if ((message as { shutdown?: boolean }).shutdown) {
            socket.end(encodeFrame({ id: 0 }));
            impostor.close();
          }
        }
      });
    });
    await new Promise<void>((resolve) => impostor.listen(opts.socketPath, resolve));
    const opened = await open(opts);
    expect(opened.started).toBe(true);
    expect(opened.pid).not.toBe(4242);
    await opened.db.close();
    expect(await stopPgliteDaemon(opts.socketPath)).toBe(opened.pid);

    // A socket and a pid file left by a daemon that was killed: nothing answers, they are replaced.
    writeFileSync(opts.socketPath, '');
    writeFileSync(`${opts.socketPath}.pid`, String(spawnSync('true').pid));
    const again = await open(opts);
    expect(again.started).toBe(true);
    await again.db.close();
  });

  it('waits for a daemon that is ending to let go of the directory before it starts another', async () => {
    const opts = options();
    // A daemon in its last moments: it hangs up unanswered, and holds its pid file until PGlite is closed.
    const ending = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => ending.listen(opts.socketPath, resolve));
    writeFileSync(`${opts.socketPath}.pid`, String(process.pid));
    let released = 0;
    setTimeout(() => {
      ending.close();
      rmSync(`${opts.socketPath}.pid`);
      released = Date.now();
    }, 400);
    const opened = await open(opts);
    expect(released).toBeGreaterThan(0);
    expect(opened.started).toBe(true);
    await opened.db.close();
  });

  it('names the pid file when a live process holds it and no daemon answers', async () => {
    const opts = options({ patienceMs: 300 });
    writeFileSync(`${opts.socketPath}.pid`, String(process.pid));
    await expect(openPgliteDaemonDatabase(opts)).rejects.toThrow(
      `process ${process.pid} holds ${opts.socketPath}.pid but no store daemon answers`,
    );
    expect(existsSync(opts.dataDir)).toBe(false);
  });

  it('fails a statement with a clear error when the daemon dies, and the next open starts another', async () => {
    const opts = options();
    const { db, pid } = await open(opts);
    await db.query('SELECT 1');
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => !alive(pid) || undefined, 'the killed daemon ended');
    await expect(db.query('SELECT 1')).rejects.toThrow('the store daemon closed the connection');
    await db.close();
    const next = await open(opts);
    expect(next.started).toBe(true);
    await next.db.close();
  });

  it('reports why a daemon could not open PGlite, from its log', async () => {
    const opts = options();
    writeFileSync(opts.dataDir, 'a file where the data directory should be');
    await expect(openPgliteDaemonDatabase(opts)).rejects.toThrow(
      /^the store daemon ended \(code 1\) before it opened PGlite: aoe store daemon: .*(EEXIST|ENOTDIR)/,
    );
    expect(readFileSync(opts.logPath, 'utf8')).toMatch(/aoe store daemon:/);
  });
});
