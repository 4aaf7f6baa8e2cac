import { readFileSync } from 'node:fs';

/**
 * What a benchmark's figures depend on besides the code, measured in the
 * benchmark's own process so a report can be read next to another machine's.
 *
 * First touches of fresh memory (page faults) cost about 0.2 µs per page on
 * bare metal and ten to fifty times that on some virtual machines. A CLI run
 * touches a few hundred megabytes fresh (Node's heap, its code, PGlite's
 * WebAssembly memory); a long-running server, such as the PostgreSQL that
 * psql talks to, touched its own long ago. So this cost moves aoe's figures,
 * and not psql's.
 */
export function firstTouchMicrosPerPage(megabytes = 64): number {
  const pages = (megabytes * 1024 * 1024) / 4096;
  // Buffer.alloc takes zeroed pages the kernel has not mapped yet; fill() maps them one by one.
  const memory = Buffer.alloc(megabytes * 1024 * 1024);
  const started = process.hrtime.bigint();
  memory.fill(1);
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  return elapsed / pages;
}

/**
 * Minor page faults of this process's children that have exited and been
 * waited for (Linux: `cminflt` in /proc/self/stat); undefined elsewhere. The
 * difference across one child's run is that child's count.
 */
export function childrenMinorFaults(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm) ", the fields start at proc(5)'s third, state; cminflt is the eleventh.
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[8]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
