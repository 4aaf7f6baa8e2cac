import type { PipelinePlan } from '@aoe/contracts';
import { CastError, DataQualityError, PlanError } from '@aoe/engine';
import type { Chain } from './chains';

/**
 * Which task of a fused chain a failure belongs to: the extract for source
 * errors, the transform or validate task a row or plan problem names, and the
 * load for everything else (the sink and the target).
 */
export function failingTask(plan: PipelinePlan, chain: Chain, cause: unknown, fromSource: boolean): string {
  const kinds = new Map(plan.tasks.map((t) => [t.id, t.kind]));
  const first = (kind: string, last = false): string | undefined => {
    const ids = chain.taskIds.filter((id) => kinds.get(id) === kind);
    return last ? ids.at(-1) : ids[0];
  };
  const load = chain.loadTaskId;
  if (fromSource) return first('extract') ?? load;
  if (cause instanceof DataQualityError) {
    const stage = cause.failures[0]?.stage;
    if (stage === 'source') return first('extract') ?? load;
    if (stage === 'transform') return first('transform') ?? load;
    return first('validate', true) ?? load;
  }
  if (cause instanceof CastError || (cause as { name?: unknown } | null)?.name === 'EvaluationError') {
    return first('transform') ?? load;
  }
  if (cause instanceof PlanError) {
    const where = cause.problems[0]?.where ?? '';
    const named = /^task "([^"]+)"/.exec(where)?.[1];
    if (named && chain.taskIds.includes(named)) return named;
    if (where.startsWith('extract')) return first('extract') ?? load;
    if (where.startsWith('transform')) return first('transform') ?? load;
    if (where.startsWith('validate')) return first('validate') ?? load;
  }
  return load;
}
