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
