import { InjectedFaultError } from '../errors';

/**
 * Named points in a task where a test or a chaos run can make it fail, as a
 * crash there would. Off unless a hook is given.
 *
 * - `after-extract-batch`: after batch N came from the source, before it is transformed
 * - `before-load`: everything compiled and the checkpoint read; the sink not yet called
 * - `mid-load`: the sink has taken N batches and asks for the next
 * - `after-load`: the sink has committed; the task has not reported success yet
 */
export type EngineFaultPoint = 'after-extract-batch' | 'before-load' | 'mid-load' | 'after-load';

export interface EngineFaultContext {
  point: EngineFaultPoint;
  /** Batches read from the source (after-extract-batch) or handed to the sink (mid-load) so far. */
  batch: number;
  rowsRead: number;
}

export type EngineFaultHook = (context: EngineFaultContext) => void | Promise<void>;

export interface EngineFaultSpec {
  at: EngineFaultPoint;
  /** For `after-extract-batch` and `mid-load`: fire once this many batches are through (default 1). */
  batch?: number;
  /** How many times it fires (default once), so the retry succeeds. */
  times?: number;
}

/** A hook that throws InjectedFaultError at `spec.at`, `spec.times` times. */
export function engineFault(spec: EngineFaultSpec): EngineFaultHook & { fired(): number } {
  let fired = 0;
  const hook = (context: EngineFaultContext): void => {
    if (context.point !== spec.at || fired >= (spec.times ?? 1)) return;
    if ((spec.at === 'after-extract-batch' || spec.at === 'mid-load') && context.batch < (spec.batch ?? 1)) return;
    fired++;
    throw new InjectedFaultError(`injected fault at ${spec.at} (batch ${context.batch})`);
  };
  return Object.assign(hook, { fired: () => fired });
}
