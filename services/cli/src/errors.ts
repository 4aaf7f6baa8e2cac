/**
 * Exit codes of `aoe`:
 * 0 success; 1 the run (or the agent flow) failed or was cancelled;
 * 2 a usage error (an unknown command, flag or URI scheme);
 * 3 the source or the target cannot be reached or read (nothing was registered or loaded);
 * 4 another aoe process holds AOE_HOME; 130 interrupted (Ctrl-C; the run is cancelled first).
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  busy: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
  ) {
    super(message);
  }
}

/** One line: the first line of a message, without trailing punctuation noise. */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? text;
  return line.trim().replace(/\s+/g, ' ');
}
