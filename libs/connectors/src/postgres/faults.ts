import { ConnectorError } from '../connector-error';

/**
 * Fault injection for a load (off unless a hook is given): tests and
 * benchmarks use it to prove that a retried load leaves exactly the right rows.
 *
 * - `before-copy`: the staging table exists (a direct append: the transaction has claimed the load and
 *   readied the target), nothing is copied yet
 * - `mid-copy`: after every batch handed to the staging writer (`rowsCopied` so far)
 * - `before-commit`: inside the publishing transaction, everything done but COMMIT
 *
 * The pass-through path (`writePassThrough`) calls the same points (`mid-copy` after each chunk).
 * - `after-commit`: the data is committed, the load has not reported back yet
 */
export type FaultPoint = 'before-copy' | 'mid-copy' | 'before-commit' | 'after-commit';

export interface FaultContext {
  point: FaultPoint;
  runId: string;
  taskId: string;
  /** The target, quoted and qualified. */
  table: string;
  rowsCopied: number;
  /** Ends the load's server session from another connection (`pg_terminate_backend`). */
  killConnection(): Promise<void>;
}

export type FaultHook = (context: FaultContext) => void | Promise<void>;

/** The error a `throw` fault raises: classed as a transient failure, as a crash would be. */
export class InjectedFault extends ConnectorError {
  readonly injected = true;
  constructor(readonly point: FaultPoint) {
    super('transient-network', `injected fault at ${point}`);
  }
}

export interface FaultSpec {
  at: FaultPoint;
  /** For `mid-copy`: fire once at least this many rows are copied. */
  afterRows?: number;
  action: 'throw' | 'kill-connection';
  /** How many times it fires (default once), so a retry succeeds. */
  times?: number;
}

/** A hook that fires `spec.action` at `spec.at`, `spec.times` times. */
export function injectFault(spec: FaultSpec): FaultHook & { fired: () => number } {
  let fired = 0;
  const hook = async (context: FaultContext) => {
    if (context.point !== spec.at || fired >= (spec.times ?? 1)) return;
    if (spec.at === 'mid-copy' && context.rowsCopied < (spec.afterRows ?? 1)) return;
    fired++;
    if (spec.action === 'throw') throw new InjectedFault(context.point);
    await context.killConnection();
  };
  return Object.assign(hook, { fired: () => fired });
}
