/**
 * One line of progress for a long dump or restore: rewritten in place on a
 * terminal, and printed at most every `everyMs` as plain lines otherwise
 * (logs, CI), so a long job never looks hung and never floods.
 */
export interface LiveLine {
  update(text: string): void;
  /** Clears the live line (the command then prints its result). */
  end(): void;
}

export function liveLine(
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  everyMs = out.isTTY ? 100 : 5_000,
): LiveLine {
  let last = 0;
  let shown = false;
  const width = () => Math.max(20, (out.columns ?? 100) - 1);
  return {
    update(text) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      if (out.isTTY) {
        out.write(`\r\x1b[K${text.slice(0, width())}`);
        shown = true;
      } else {
        out.write(`${text}\n`);
      }
    },
    end() {
      if (out.isTTY && shown) out.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Shows nothing (`--json`). */
export const silentLine: LiveLine = { update: () => {}, end: () => {} };
