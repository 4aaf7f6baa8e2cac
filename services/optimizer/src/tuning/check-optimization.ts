import { PipelinePlan } from '@aoe/contracts';
import type { Verdict } from '@aoe/agents';
import { boundsProblems } from './bounds';
import { optimizationLimits, optimizedPlan, type Optimization, type OptimizationInput } from './optimize';

/**
 * What an optimization must satisfy, whoever proposed it: settings inside the
 * limits (bounds, memory per batch, the source's parallelism), a cursor the
 * plan or the profile offers, an incremental read only where the load merges
 * or appends, partitions only on a partitionable read, and a plan that still
 * satisfies its contract.
 */
export function checkOptimization(input: OptimizationInput, value: Optimization): Verdict {
  const reasons = [...boundsProblems(value.settings, optimizationLimits(input).limits)];
  const extract = input.plan.tasks.find((t) => t.kind === 'extract');
  const load = input.plan.tasks.find((t) => t.kind === 'load');
  const drafted = extract?.kind === 'extract' ? extract.params : undefined;

  if (value.extract.mode === 'incremental') {
    const cursor = value.extract.cursorColumn;
    const offered =
      cursor !== undefined && (cursor === drafted?.cursorColumn || input.profile?.cursorCandidates.includes(cursor));
    if (!offered)
      reasons.push(`an incremental read needs a cursor the plan or the profile offers (got ${cursor ?? 'none'})`);
    if (drafted?.mode === 'full' && load?.kind === 'load' && load.params.mode === 'replace') {
      reasons.push('a replace load cannot read incrementally: it would drop every row not re-read');
    }
  }
  const { partitions } = value.extract;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 8)
    reasons.push(`partitions ${partitions} is outside [1, 8]`);
  if (partitions > 1 && (drafted?.partitions ?? 1) <= 1)
    reasons.push('only a partitionable read (planned with partitions) may be split');

  if (reasons.length === 0) {
    const plan = PipelinePlan.safeParse(optimizedPlan(input.plan, value, input.plan.version + 1, input.plan.createdAt));
    if (!plan.success) reasons.push(...plan.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}
