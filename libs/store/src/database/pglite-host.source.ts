import { createHash } from 'node:crypto';

/*
 * What hosts PGlite outside the caller's thread: in a worker thread, or in a
 * store daemon (a process of its own that outlives the command). Plain
 * JavaScript evaluated by the worker or by `node -`, rather than module files,
 * so that it runs the same from the compiled package, from the CLI's bundle and
 * from the TypeScript sources under Jest; it needs nothing but PGlite and Node.
 *
 * Both answer one message per statement, `{ id, sql, params }`, with
 * `{ id, rows, rowCount }` or `{ id, error }` (the error's message, name and
 * PostgreSQL fields).
 */

/** Opening PGlite, and answering a statement: the same in the worker and in the daemon. */
const HOST_CORE = `
const { mkdirSync } = require('node:fs');
const failure = (error) => {
  const fields = {};
  for (const [key, value] of Object.entries(error ?? {})) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { ...fields, name: error?.name ?? 'Error', message: error?.message ?? String(error) };
};
async function openPglite(PGlite, dataDir, settings) {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const defaults = PGlite.defaultStartParams;
  const startParams = Array.isArray(defaults) ? [...defaults, ...settings] : undefined;
  return PGlite.create({ ...(dataDir ? { dataDir } : {}), ...(startParams ? { startParams } : {}) });
}
async function answer(db, { id, sql, params }) {
  try {
    const result = await db.query(sql, params);
    // rowCount is per statement (SELECT and DML alike); affectedRows only counts DML.
    const rowCount = result.rowCount ?? result.affectedRows ?? result.rows.length;
    return { id, rows: result.rows, rowCount };
  } catch (error) {
    return { id, error: failure(error) };
  }
}
`;

/** The worker thread: PGlite opened once (with the session's setup), then one message per statement. */
export const WORKER_SOURCE = `${HOST_CORE}
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
(async () => {
  const db = await openPglite(PGlite, workerData.dataDir, workerData.settings);
  try {
    await db.query(workerData.setup);
  } catch (error) {
    await db.close();
    throw error;
  }
  parentPort.on('message', async (message) => {
    if (message.close) {
      if (!db.closed) await db.close();
      parentPort.postMessage({ id: message.id });
      return;
    }
    parentPort.postMessage(await answer(db, message));
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ openError: failure(error) }));
`;

/**
 * The store daemon: PGlite opened once, then served on a Unix socket to one
 * client at a time (a CLI command holds its home's lock, so there is one at a
 * time anyway; a second connection waits its turn). Frames are a 4-byte
 * big-endian length and a v8.serialize()d message, so values cross as they
 * cross a worker's port (dates stay dates). A client is greeted with
 * `{ hello: { build, pid } }` when its turn comes; after it leaves, whatever it
 * left open is rolled back and its session reset. `{ shutdown: true }` closes
 * PGlite and ends the daemon. It ends by itself after `idleMs` without a
 * client, and at once when its data directory or its socket disappears (the
 * home was removed). Its pid file is written before PGlite opens and removed
 * after PGlite closed: while it is there and the process lives, the data
 * directory is taken. Configured by AOE_PGLITE_DAEMON (JSON).
 */
export const DAEMON_SOURCE = `${HOST_CORE}
const { existsSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const net = require('node:net');
const v8 = require('node:v8');
const config = JSON.parse(process.env.AOE_PGLITE_DAEMON);
process.title = 'aoe-store-daemon';
const { PGlite } = require(config.pglite);
const send = (socket, message) => {
  const body = v8.serialize(message);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  socket.write(Buffer.concat([head, body]));
};
const onFrames = (socket, onMessage) => {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const size = buffered.readUInt32BE(0);
      let message;
      try {
        message = v8.deserialize(buffered.subarray(4, 4 + size));
      } catch {
        socket.destroy();
        return;
      }
      buffered = buffered.subarray(4 + size);
      onMessage(message);
    }
  });
};
(async () => {
  writeFileSync(config.pidPath, String(process.pid));
  const db = await openPglite(PGlite, config.dataDir, config.settings);
  // Connections waiting for their turn, and the one being served.
  const waiting = [];
  let active;
  let work = Promise.resolve();
  let idle;
  let stopping = false;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => undefined);
    waiting.push(socket);
    socket.once('close', () => waiting.includes(socket) && waiting.splice(waiting.indexOf(socket), 1));
    serveNext();
  });
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idle);
    // A daemon that never listened (its socket was taken) must not remove the socket.
    const listened = server.listening;
    server.close();
    // Those waiting for their turn see the connection close unanswered: they wait for the pid file to go.
    for (const socket of waiting.splice(0)) socket.destroy();
    await work.catch(() => undefined);
    if (!db.closed) await db.close().catch(() => undefined);
    if (listened) rmSync(config.socketPath, { force: true });
    rmSync(config.pidPath, { force: true });
    process.exit(code);
  };
  const reset = async () => {
    await db.query('ROLLBACK').catch(() => undefined);
    await db.query('DISCARD ALL').catch(() => undefined);
  };
  let served = 0;
  const serveNext = () => {
    if (active || stopping) return;
    const socket = waiting.shift();
    if (!socket) {
      // The command that started the daemon gets a minute to connect, however short the idle time.
      idle = setTimeout(() => void stop(0), served === 0 ? Math.max(config.idleMs, 60000) : config.idleMs);
      return;
    }
    served += 1;
    clearTimeout(idle);
    active = socket;
    onFrames(socket, (message) => {
      work = work.then(async () => {
        if (message.shutdown) {
          send(socket, { id: message.id });
          // After this turn of the queue: stop() waits for the queue.
          setImmediate(() => void stop(0));
        } else {
          send(socket, await answer(db, message));
        }
      });
    });
    socket.once('close', () => {
      work = work.then(reset).then(() => {
        active = undefined;
        serveNext();
      });
    });
    socket.resume();
    send(socket, { hello: { build: config.build, pid: process.pid } });
  };
  server.on('error', (error) => {
    process.stderr.write('aoe store daemon: ' + error.message + '\\n');
    void stop(1);
  });
  server.listen(config.socketPath, () => serveNext());
  setInterval(() => {
    if (!existsSync(join(config.dataDir, 'PG_VERSION')) || !existsSync(config.socketPath)) void stop(0);
  }, 1000).unref();
  process.on('SIGTERM', () => void stop(0));
})().catch((error) => {
  process.stderr.write('aoe store daemon: ' + (error?.message ?? String(error)) + '\\n');
  rmSync(config.pidPath, { force: true });
  process.exit(1);
});
`;

/**
 * PostgreSQL settings for the store, after PGlite's own start parameters.
 * PGlite zeroes its whole shared memory at every open, on the path of every
 * CLI command, and each page touched for the first time is a page fault (on
 * some virtual machines 10 µs or more each). PostgreSQL's defaults (128MB of
 * shared buffers, lock and process tables for 100 connections) make that
 * 146MB; these make it 6MB. The control-plane store holds a few megabytes and
 * has one session: 2MB of buffers (256 pages) hold what its queries touch.
 */
export const STORE_SETTINGS = ['-c', 'shared_buffers=2MB', '-c', 'max_connections=5'];

/**
 * What a daemon must match to serve this code: its source, its settings and
 * the PGlite it loads (`pglite`: its path and version). A daemon started by
 * another build is stopped, not used.
 */
export function daemonBuild(pglite: string): string {
  return createHash('sha256')
    .update(DAEMON_SOURCE)
    .update(STORE_SETTINGS.join(' '))
    .update(pglite)
    .digest('hex')
    .slice(0, 16);
}
