import { setFlagsFromString } from 'node:v8';

/**
 * How much PGlite (PostgreSQL compiled to WebAssembly) will run in this command:
 * - `bookkeeping`: only the control-plane store (runs, decisions, plans): a few
 *   dozen small queries;
 * - `queries`: the warehouse too (a load into it, `aoe sql`), possibly for minutes.
 */
export type WasmWorkload = 'bookkeeping' | 'queries';

/**
 * V8 runs WebAssembly on baseline code and recompiles hot functions with its
 * optimizing compiler in background threads, once a function has run through
 * its budget (V8's default: 1.8 MB of code executed). In a command of a second
 * that recompilation is wasted work on the second core, and PGlite waits for it
 * at start, between queries and on close (about 250 ms in all). Bookkeeping
 * keeps baseline code; queries tier up 100× later, which costs a long query
 * nothing measurable (docs/performance.md, "CLI start-up").
 *
 * V8 fixes the budget when it compiles the module, once per process: call this
 * before the first PGlite opens. Returns false when the flag was not set.
 */
export function tuneWasmTiering(workload: WasmWorkload, version: string = process.version): boolean {
  const flag = wasmTieringFlag(workload, version);
  if (flag === undefined) return false;
  setFlagsFromString(flag);
  return true;
}

/** The V8 flag for a workload, for this process or a process it starts; undefined where V8 lacks it. */
export function wasmTieringFlag(workload: WasmWorkload, version: string = process.version): string | undefined {
  // The flag exists in the V8 of Node 20 to 24; V8 would print an unknown one to stderr.
  if (!/^v2[0-4]\./.test(version)) return undefined;
  return `--wasm-tiering-budget=${workload === 'bookkeeping' ? 2_000_000_000 : 180_000_000}`;
}
