/** Where a command reads and writes: the process's own, or a test's. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Resolves when the user asks to stop (Ctrl-C), for a command that handles
   * it (`aoe ingest` cancels its run, the worker stops its task); reading it
   * is what opts in.
   */
  interrupted?: Promise<void>;
}

/**
 * The process's own streams. Ctrl-C ends the process at once (exit 130)
 * unless the command has taken `interrupted`; then the first Ctrl-C resolves
 * it and a second one ends the process.
 */
export function processIo(): CliIo {
  let handled = false;
  let resolveInterrupt: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (resolveInterrupt = resolve));
  let pressed = 0;
  process.on('SIGINT', () => {
    pressed++;
    if (!handled || pressed > 1) process.exit(130);
    resolveInterrupt();
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    get interrupted() {
      handled = true;
      return interrupted;
    },
  };
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
