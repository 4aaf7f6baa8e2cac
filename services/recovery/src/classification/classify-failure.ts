import type { ClassifiedError, ErrorClass } from '@aoe/contracts';
import { ERROR_KINDS, errorKindOf } from '@aoe/engine';

/** The failure classes recovery maps to actions: the platform's ErrorClass (engine, dispatcher and gateway share it). */
export type FailureClass = ErrorClass;

export interface Classification {
  class: FailureClass;
  /** How the class was found, for the decision's evidence. */
  basis: 'error-class' | 'error-code' | 'message' | 'history' | 'none';
  detail: string;
}

/** An earlier failure recovery recorded (of the same run, or of the pipeline's other runs). */
export interface EarlierFailure {
  runId?: string;
  taskId: string;
  attempt: number;
  failureClass: FailureClass;
}

export interface ClassifyContext {
  taskId?: string;
  /** Earlier failures of this run, oldest first. */
  earlier?: readonly EarlierFailure[];
  /** Recent failures of the pipeline's other runs, oldest first. */
  pipelineRecent?: readonly EarlierFailure[];
}

/**
 * Phrases the engine's table does not know (it classifies error objects; a
 * failure that crossed a process — the worker, Airflow — may arrive as text
 * only). First match wins.
 */
const MESSAGE_PATTERNS: ReadonlyArray<[RegExp, FailureClass]> = [
  [/\b429\b|too many requests|rate.?limit|throttl/i, 'rate-limit'],
  [
    /\b40[13]\b|unauthori[sz]ed|forbidden|authentication failed|invalid (credentials|password|token)|access denied|permission denied/i,
    'auth',
  ],
  [
    /column .{1,200} (does not exist|not found)|relation .{1,200} does not exist|schema (changed|mismatch|drift)/i,
    'schema-drift',
  ],
  [/invalid input syntax|malformed|violates (not-null|check|unique)|cannot cast|failed validation/i, 'data-quality'],
  [
    /out of memory|heap|no space left|too many (open files|connections)|disk full|ENOMEM|ENOSPC/i,
    'resource-exhaustion',
  ],
  [/timed? ?out|timeout|deadline exceeded/i, 'timeout'],
  [
    /ECONNRESET|ECONNREFUSED|EPIPE|EAI_AGAIN|socket hang up|connection (reset|refused|closed|terminated)|network|\b50[0234]\b/i,
    'transient-network',
  ],
];

/** The error's own words, without the dispatcher's `task "<id>": ` prefix. */
function messageOf(error: ClassifiedError): string {
  return error.message.replace(/^task "[^"]*": /, '');
}

/**
 * The failure's class, from (in order) the class the engine or connector gave
 * it, its code through the engine's error table, its message, and the run's
 * earlier failures of the same task (this run's, then the pipeline's recent
 * runs'). Unknown only when none of them tells.
 */
export function classifyFailure(error: ClassifiedError | undefined, context: ClassifyContext = {}): Classification {
  if (!error)
    return fromHistory(context) ?? { class: 'unknown', basis: 'none', detail: 'the run failed without an error' };
  if (error.class !== 'unknown') {
    return { class: error.class, basis: 'error-class', detail: `classified ${error.class} where it failed` };
  }
  if (error.code) {
    const { kind } = errorKindOf(Object.assign(new Error(''), { code: error.code }));
    const byCode = ERROR_KINDS[kind].class;
    if (kind !== 'unknown' && byCode !== 'unknown') {
      return { class: byCode, basis: 'error-code', detail: `code ${error.code} (${kind})` };
    }
  }
  const message = messageOf(error);
  for (const [pattern, failureClass] of MESSAGE_PATTERNS) {
    const match = pattern.exec(message);
    if (match) return { class: failureClass, basis: 'message', detail: `the message says "${match[0]}"` };
  }
  return fromHistory(context) ?? { class: 'unknown', basis: 'none', detail: 'neither class, code nor message tells' };
}

/**
 * The class of the same task's latest classified failure: in this run first,
 * else in the pipeline's other recent runs.
 */
function fromHistory(context: ClassifyContext): Classification | undefined {
  const taskId = context.taskId ?? '';
  const known = (list: readonly EarlierFailure[] | undefined) =>
    [...(list ?? [])].reverse().find((f) => f.taskId === taskId && f.failureClass !== 'unknown');
  const inRun = known(context.earlier);
  if (inRun) {
    return {
      class: inRun.failureClass,
      basis: 'history',
      detail: `unclassified now; attempt ${inRun.attempt} of this task failed as ${inRun.failureClass}`,
    };
  }
  const inPipeline = known(context.pipelineRecent);
  if (!inPipeline) return undefined;
  return {
    class: inPipeline.failureClass,
    basis: 'history',
    detail: `unclassified now; this task failed as ${inPipeline.failureClass} in run ${inPipeline.runId ?? '?'} recently`,
  };
}
