import type { AgentDecision, PipelinePlan, PlanTask, SourceProfile } from '@aoe/contracts';
import { count, table } from './format';

function describeTask(task: PlanTask): string {
  switch (task.kind) {
    case 'extract':
      return task.params.mode === 'incremental'
        ? `extract (incremental on "${task.params.cursorColumn}"${task.params.partitions > 1 ? `, ${task.params.partitions} partitions` : ''})`
        : `extract (full${task.params.partitions > 1 ? `, ${task.params.partitions} partitions` : ''})`;
    case 'transform':
      return `transform (${task.params.operations.map((o) => o.op).join(', ') || 'none'})`;
    case 'validate':
      return `validate (${task.params.rules.length} rule${task.params.rules.length === 1 ? '' : 's'}, on failure ${task.params.onFailure})`;
    case 'load':
      return `load (${task.params.mode}${task.params.primaryKey ? ` on ${task.params.primaryKey.join(', ')}` : ''})`;
  }
}

/** One line: the plan's tasks in order and its settings. */
export function planLine(plan: PipelinePlan): string {
  const settings = plan.settings;
  return `plan v${plan.version}: ${plan.tasks.map(describeTask).join(' -> ')} | batch ${count(settings.batchSize)}, read parallelism ${settings.readParallelism}, load concurrency ${settings.loadConcurrency}${plan.schedule ? ` | schedule "${plan.schedule}"` : ''}`;
}

/** The plan as a table of tasks. */
export function planTable(plan: PipelinePlan): string {
  return [
    `pipeline ${plan.pipelineId}, plan version ${plan.version} (${plan.createdBy})`,
    '',
    table(
      ['task', 'kind', 'after', 'what'],
      plan.tasks.map((t) => [t.id, t.kind, t.dependsOn.join(', '), describeTask(t)]),
    ),
    '',
    `settings: batch size ${count(plan.settings.batchSize)}, read parallelism ${plan.settings.readParallelism}, load concurrency ${plan.settings.loadConcurrency}`,
    ...(plan.schedule ? [`schedule: ${plan.schedule}`] : []),
  ].join('\n');
}

export function profileTable(profile: SourceProfile): string {
  const pii = (c: SourceProfile['columns'][number]) => c.piiHints.map((h) => h.kind).join(', ');
  return [
    `${profile.kind} source, ~${count(profile.rowCountEstimate)} rows (sampled ${count(profile.sampleSize)})${profile.format ? `, ${profile.format}` : ''}`,
    '',
    table(
      ['column', 'type', 'nullable', 'null rate', 'distinct', 'pii'],
      profile.columns.map((c) => [
        c.name,
        c.type,
        c.nullable ? 'yes' : 'no',
        `${(c.nullRate * 100).toFixed(1)}%`,
        count(c.distinctEstimate),
        pii(c),
      ]),
    ),
    '',
    `key candidates: ${profile.primaryKeyCandidates.map((k) => `(${k.join(', ')})`).join(' ') || 'none'}${profile.primaryKeyConfirmed ? ' (declared)' : ''}`,
    `cursor candidates: ${profile.cursorCandidates.join(', ') || 'none'}`,
  ].join('\n');
}

export function decisionsTable(decisions: readonly AgentDecision[]): string {
  if (decisions.length === 0) return 'no decisions recorded';
  return decisions
    .map((d) =>
      [
        `${d.at}  ${d.agent}  decided by ${d.decidedBy}${d.model ? ` (${d.model})` : ''}${d.accepted ? '' : ` — rejected: ${d.rejectionReason ?? ''}`}  ${Math.round(d.latencyMs)}ms`,
        `  why: ${d.rationale}`,
        `  choice: ${JSON.stringify(d.choice)}`,
      ].join('\n'),
    )
    .join('\n\n');
}
