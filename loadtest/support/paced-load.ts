/**
 * An open-loop load generator: requests leave on a fixed schedule (rate per
 * second), whatever the server does, and each latency is measured from the
 * moment the request was scheduled, so a stalled server or a late generator
 * shows up in the figures instead of being hidden (no coordinated omission).
 * It runs in a worker thread, off the event loop of the server it measures.
 */
import { Worker } from 'node:worker_threads';

export interface PacedLoadOptions {
  url: string;
  headers: Record<string, string>;
  /** Cycled through in order. */
  paths: string[];
  rate: number;
  seconds: number;
}

export interface PacedLoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, headers, paths, rate, seconds } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const interval = 1000 / rate;
const total = Math.round(rate * seconds);
const latencies = [];
let errors = 0, non2xx = 0, sent = 0, done = 0;
const start = performance.now();
function finish() {
  if (++done < total) return;
  agent.destroy();
  parentPort.postMessage({ latencies, errors, non2xx });
}
function fire(i) {
  const scheduled = start + i * interval;
  const request = http.request(
    { host: target.hostname, port: target.port, path: paths[i % paths.length], agent, headers },
    (response) => {
      response.resume();
      response.on('end', () => {
        latencies.push(performance.now() - scheduled);
        if (response.statusCode >= 300) non2xx++;
        finish();
      });
    },
  );
  request.on('error', () => { errors++; finish(); });
  request.end();
}
function tick() {
  while (sent < total && start + sent * interval <= performance.now()) fire(sent++);
  if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
}
tick();
`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: options });
    worker.once('error', reject);
    worker.once('message', (result: { latencies: number[]; errors: number; non2xx: number }) => {
      void worker.terminate();
      const sorted = [...result.latencies].sort((a, b) => a - b);
      const round = (ms: number) => Math.round(ms * 10) / 10;
      resolve({
        requests: sorted.length + result.errors,
        errors: result.errors,
        non2xx: result.non2xx,
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(sorted.at(-1) ?? Number.NaN),
      });
    });
  });
}
