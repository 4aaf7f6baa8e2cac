import type { Socket } from 'node:net';
import { ConnectorError } from '../connector-error';

/** What a second connection says about a silent session's server process. */
export type BackendState =
  /** Running a statement and not waiting for us: a long COPY, merge or sort. */
  | 'working'
  /** Waiting to read from or write to our socket, or idle although we wait for an answer: the path is stalled. */
  | 'waiting-on-client'
  /** No such server process any more. */
  | 'gone';

export interface StallWatchOptions {
  /** How long a statement may go without a byte either way before the server is asked. */
  silenceMs: number;
  /** Asks the server about this session's process from another connection. */
  probe: () => Promise<BackendState>;
  /** True while this side holds the statement up (a slow consumer or producer): silence then is not a stall. */
  heldUpHere: () => boolean;
  /** Called once with the reason when the session must be cut. */
  cut: (reason: Error) => void;
  /** `postgres://host:port/db`, for the message. */
  location: string;
}

/**
 * Watches one session's socket while a statement is active. Silence alone is
 * not a stall (a big merge sends nothing for minutes), so after `silenceMs`
 * without a byte in either direction the server is asked from a second
 * connection; the session is cut as a `timeout` only when the server cannot be
 * reached within `silenceMs`, has no such process, or the process is waiting
 * on our socket.
 */
export class StallWatch {
  private active = 0;
  private lastBytes = -1;
  private lastProgress = Date.now();
  private probing = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Pick<Socket, 'bytesRead' | 'bytesWritten'>,
    private readonly options: StallWatchOptions,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.min(1_000, Math.floor(options.silenceMs / 4))));
    this.timer.unref();
  }

  /** Marks a statement active until the returned function is called. */
  begin(): () => void {
    if (this.active === 0) this.lastProgress = Date.now();
    this.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
    };
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.stopped || this.probing) return;
    const bytes = this.socket.bytesRead + this.socket.bytesWritten;
    const now = Date.now();
    if (this.active === 0 || bytes !== this.lastBytes || this.options.heldUpHere()) {
      this.lastBytes = bytes;
      this.lastProgress = now;
      return;
    }
    if (now - this.lastProgress < this.options.silenceMs) return;
    this.probing = true;
    void this.ask().finally(() => {
      this.probing = false;
      this.lastProgress = Date.now();
    });
  }

  private async ask(): Promise<void> {
    const state = await withDeadline(this.options.probe(), this.options.silenceMs).catch(() => 'unreachable' as const);
    if (state === 'working' || this.stopped || this.active === 0) return;
    const seconds = Math.round(this.options.silenceMs / 100) / 10;
    const why =
      state === 'unreachable'
        ? `the server did not answer a second connection within ${seconds} s`
        : state === 'gone'
          ? 'its server process is gone'
          : 'its server process is waiting on this connection';
    this.stop();
    this.options.cut(
      new ConnectorError(
        'timeout',
        `the connection to ${this.options.location} stalled: no bytes either way for ${seconds} s during a statement, and ${why}`,
      ),
    );
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('probe timed out')), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** `pg_stat_activity` for one process, as a BackendState. */
export function backendStateOf(row: { state: string | null; wait_event: string | null } | undefined): BackendState {
  if (!row) return 'gone';
  if (row.state !== 'active') return 'waiting-on-client';
  return row.wait_event === 'ClientRead' || row.wait_event === 'ClientWrite' ? 'waiting-on-client' : 'working';
}

/** The abort reason as the error a cut session reports: a deadline is a retryable `timeout`. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  // Duck-typed: a DOMException is not an Error of this realm under a test VM.
  const name = typeof reason === 'object' && reason !== null ? (reason as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') {
    return new ConnectorError('timeout', 'the deadline passed during a statement; the connection was closed', {
      cause: reason,
    });
  }
  return reason instanceof Error ? reason : new Error(typeof reason === 'string' ? reason : 'aborted');
}
