import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { CliError, ExitCode } from '../errors';
import type { PgConnection } from './pg-connection';

export interface PgProcessOptions {
  path: string;
  args: string[];
  connection: PgConnection;
  /** Where the tool's standard output goes (the dump), if anywhere. */
  stdout?: Writable;
  /** Each line the tool writes on stderr (its --verbose progress). */
  onLine?: (line: string) => void;
  /** What failed, for the message: "backup", "restore". */
  what: string;
}

/** The line of pg_dump/pg_restore's stderr that says what went wrong, without the tool's prefix. */
export function errorLine(lines: readonly string[]): string | undefined {
  const line = lines.find((l) => /\b(error|fatal):/i.test(l)) ?? lines.at(-1);
  return line
    ?.replace(/^(pg_dump|pg_restore): (error: )?/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Runs pg_dump or pg_restore with the password in its environment only, and
 * turns a failure into one line with every credential removed.
 */
export function runPgTool(options: PgProcessOptions): Promise<void> {
  const { connection } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(options.path, options.args, {
      env: connection.env,
      stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
    });
    const lines: string[] = [];
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const raw of parts) {
        const line = connection.redact(raw.trimEnd());
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.splice(0, lines.length - 200);
        options.onLine?.(line);
      }
    });
    if (options.stdout) child.stdout!.pipe(options.stdout);
    child.on('error', (error) =>
      reject(new CliError(`${options.what} failed: ${connection.redact(error.message)}`, ExitCode.failed)),
    );
    child.on('close', (code, signal) => {
      if (partial) lines.push(connection.redact(partial));
      if (code === 0) return resolve();
      const reason = errorLine(lines) ?? (signal ? `stopped by ${signal}` : `exit code ${code}`);
      reject(new CliError(`${options.what} failed: ${reason}`, ExitCode.failed));
    });
  });
}
