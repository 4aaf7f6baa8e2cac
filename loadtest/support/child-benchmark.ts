/**
 * What the data-plane benchmarks share: settings from the environment, the
 * `@aoe/*` loader for today's sources, and one measured run per child process
 * (a fresh process, so RSS and CPU belong to that run alone).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Client as PgClient } from 'pg';

export const ROOT = resolve(__dirname, '..', '..');
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const BATCH_SIZE = Number(process.env.BATCH_SIZE ?? 2_000);
export const READ_AHEAD = Number(process.env.READ_AHEAD ?? 2);

const req = createRequire(__filename);

/** `require` for a child run: after `useWorkspaceSources()`, `@aoe/*` loads from source. */
export const workspaceRequire = req;

/** What a child run prints on its `RESULT ` line. */
export interface ChildRun {
  status: string;
  error?: string;
  rows: number;
  /** The path the engine's rows took (`pass-through` or `rows`). */
  path?: string;
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
}

/** Resolves `@aoe/*` to the workspace's TypeScript sources, so the benchmark runs today's code without a build. */
export function useWorkspaceSources(): void {
  const dirs: Record<string, string> = { contracts: 'contracts' };
  const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    const m = /^@aoe\/([a-z-]+)$/.exec(request);
    if (m) {
      const file = join(ROOT, dirs[m[1]] ?? join('libs', m[1]), 'src', 'index.ts');
      if (existsSync(file)) return original.call(this, file, ...rest);
    }
    return original.call(this, request, ...rest);
  };
}

export function pgClient(): PgClient {
  const { Client } = req('pg') as typeof import('pg');
  return new Client({ connectionString: DATABASE_URL });
}

export function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function rate(rows: number, seconds: number): string {
  return `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`;
}

/** Runs `script --child <args>` in a fresh process and returns what it printed on its `RESULT ` line. */
export function runChildScript(script: string, args: string[], nodeOptions = ''): Promise<ChildRun> {
  const label = args[0];
  return new Promise((done, fail) => {
    const proc = spawn(
      process.execPath,
      [req.resolve('ts-node/dist/bin.js'), '--transpile-only', script, '--child', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_OPTIONS: nodeOptions || (process.env.NODE_OPTIONS ?? '') },
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', fail);
    proc.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return fail(new Error(`${label} run exited with ${code}: ${out}`));
      const run = JSON.parse(line.slice(7)) as ChildRun;
      if (run.status !== 'succeeded') return fail(new Error(`${label} run ${run.status}: ${run.error}`));
      done(run);
    });
  });
}
