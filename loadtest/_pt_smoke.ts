import Module from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
const ROOT = '/work/main';
const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  const m = /^@aoe\/([a-z-]+)$/.exec(request);
  if (m) { const file = join(ROOT, m[1]==='contracts'?'contracts':join('libs', m[1]), 'src', 'index.ts'); if (existsSync(file)) return original.call(this, file, ...rest); }
  return original.call(this, request, ...rest);
};
async function main() {
  const { runTask } = require('@aoe/engine');
  const { FileSource, PostgresSink } = require('@aoe/connectors');
  const url = 'postgres://postgres@127.0.0.1:5432/test';
  const t0 = Date.now();
  const r = await runTask({ runId: 'smoke-' + Date.now(), taskId: 'load', source: new FileSource({ kind: 'file', path: process.argv[2], format: 'csv' }),
    sink: new PostgresSink({ connection: { url }, table: { schema: 'smoke_pt', name: 't' + Date.now() } }),
    plan: { pipelineId: 'p', extract: { mode: 'full' }, stages: [], load: { mode: 'append' }, batchSize: 2000 } });
  console.log(Date.now() - t0, 'ms', r.status, r.path, r.metrics.rowsRead, r.metrics.rowsLoaded, r.error, r.checkpoint);
}
main();
