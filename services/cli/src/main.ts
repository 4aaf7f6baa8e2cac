import { runCli } from './cli';
import { processIo } from './io';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
  // PGlite and the bus leave no work behind once a command returns; do not wait on stray timers.
  setTimeout(() => process.exit(code), 200).unref();
});
