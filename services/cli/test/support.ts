import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { ParquetSchema, ParquetWriter } from '@dsnp/parquetjs';
import { startTestS3 } from '@aoe/testing';
import { runCli } from '../src/cli';

export const REPO_ROOT = resolve(__dirname, '../../..');

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * What every `aoe` of the tests runs with, unless a test says otherwise: store
 * daemons that end soon after their home's last command, not ten minutes later.
 */
export const TEST_ENV = { AOE_STORE_IDLE_SECONDS: '20' };

/** `aoe …` in this process (so coverage sees it), with its own stdout and stderr. */
export async function aoe(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = REPO_ROOT,
): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout, stderr, env: { ...process.env, ...TEST_ENV, ...env }, cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `aoe-cli-${prefix}-`));
}

export interface Event {
  id: number;
  name: string;
  amount: number;
  created_at: string;
}

export function events(count: number, from = 1): Event[] {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return {
      id,
      name: `event ${id}`,
      amount: (id * 37) % 1000,
      created_at: new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString(),
    };
  });
}

/** md5 of `id|name|amount` lines in id order; the same expression runs in SQL (checksumSql). */
export function checksum(rows: readonly Event[]): string {
  const text = [...rows]
    .sort((a, b) => a.id - b.id)
    .map((r) => `${r.id}|${r.name}|${r.amount}`)
    .join('\n');
  return createHash('md5').update(text).digest('hex');
}

export function checksumSql(table: string): string {
  return `SELECT count(*)::int AS count, md5(string_agg(id::text || '|' || name || '|' || amount::text, E'\\n' ORDER BY id)) AS md5 FROM ${table}`;
}

export const csvOf = (rows: readonly Event[]) =>
  `id,name,amount,created_at\n${rows.map((r) => `${r.id},${r.name},${r.amount},${r.created_at}`).join('\n')}\n`;

export const jsonlOf = (rows: readonly Event[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

export async function writeParquet(path: string, rows: readonly Event[]): Promise<void> {
  const schema = new ParquetSchema({
    id: { type: 'INT32' },
    name: { type: 'UTF8' },
    amount: { type: 'INT32' },
    created_at: { type: 'TIMESTAMP_MILLIS' },
  });
  const writer = await ParquetWriter.openFile(schema, path);
  for (const row of rows) await writer.appendRow({ ...row, created_at: new Date(row.created_at) });
  await writer.close();
}

export async function writeText(path: string, text: string): Promise<string> {
  await writeFile(path, text);
  return path;
}

/** s3rver on a random port, with credentials S3RVER/S3RVER, holding one bucket. */
export async function startS3(
  bucket: string,
): Promise<{ endpoint: string; put(key: string, body: string): Promise<void>; stop(): Promise<void> }> {
  const s3 = await startTestS3([bucket]);
  return { endpoint: s3.endpoint, put: (key, body) => s3.put(bucket, key, body), stop: () => s3.stop() };
}

/** A JSON API on 127.0.0.1 serving `rows` as one array at `path`. */
export async function startApi(
  path: string,
  rows: () => readonly Event[],
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] === path) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rows()));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}${path}`, stop: () => new Promise((r) => server.close(() => r())) };
}

/**
 * A server that speaks just enough of the PostgreSQL protocol to ask for a
 * password and refuse it (28P01): what a wrong password looks like.
 */
export async function startPasswordRefusingPostgres(): Promise<{ port: number; stop(): Promise<void> }> {
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0);
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const server: TcpServer = createTcpServer((socket) => {
    let stage: 'startup' | 'password' = 'startup';
    socket.on('data', (data) => {
      if (stage === 'startup') {
        if (data.length >= 8 && data.readInt32BE(4) === 80877103) {
          socket.write('N'); // no SSL
          return;
        }
        stage = 'password';
        const auth = Buffer.alloc(4);
        auth.writeInt32BE(3, 0); // AuthenticationCleartextPassword
        socket.write(message('R', auth));
        return;
      }
      const fields = Buffer.concat([
        Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "postgres"\0\0'),
      ]);
      socket.end(message('E', fields));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { port, stop: () => new Promise((r) => server.close(() => r())) };
}

export function parseJsonLine(text: string): any {
  const lines = text.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected exactly one line of JSON, got ${lines.length}: ${text}`);
  return JSON.parse(lines[0]);
}
