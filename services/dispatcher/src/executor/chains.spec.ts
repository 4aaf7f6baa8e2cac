import type { PipelinePlan } from '@aoe/contracts';
import { taskSpecFromPlan } from '@aoe/engine';
import { chainOf, planChains } from './chains';

const task = (id: string, kind: 'extract' | 'transform' | 'validate' | 'load', dependsOn: string[] = []) => {
  switch (kind) {
    case 'extract':
      return { id, kind, dependsOn, params: { mode: 'full' as const, partitions: 1 } };
    case 'transform':
      return { id, kind, dependsOn, params: { operations: [] } };
    case 'validate':
      return { id, kind, dependsOn, params: { rules: [], onFailure: 'fail' as const } };
    case 'load':
      return { id, kind, dependsOn, params: { mode: 'append' as const, schemaEvolution: 'additive' as const } };
  }
};

const plan = (tasks: PipelinePlan['tasks']): PipelinePlan => ({
  pipelineId: 'p',
  sourceId: 's',
  version: 1,
  target: { kind: 'warehouse', table: { schema: 'public', name: 't' } },
  policy: { maskPii: false, schemaEvolution: 'additive' },
  tasks,
  settings: { batchSize: 100, readParallelism: 1, loadConcurrency: 1 },
  createdBy: 'rules',
  createdAt: '2026-11-26T00:00:00.000Z',
});

describe('planChains', () => {
  it('makes one chain per load, in dependency order, with what runs before it', () => {
    const { chains, orphans } = planChains(
      plan([
        task('load-b', 'load', ['extract-b']),
        task('extract-b', 'extract', ['load-a']),
        task('extract-a', 'extract'),
        task('clean', 'transform', ['extract-a']),
        task('check', 'validate', ['clean']),
        task('load-a', 'load', ['check']),
        task('lonely', 'extract'),
      ]),
    );
    expect(chains.map((c) => [c.loadTaskId, c.taskIds, c.after])).toEqual([
      ['load-a', ['extract-a', 'clean', 'check', 'load-a'], []],
      ['load-b', ['extract-b', 'load-b'], ['load-a']],
    ]);
    expect(orphans).toEqual(['lonely']);
    // Each chain's cut of the plan is what the engine runs: one extract, its stages, one load.
    const spec = taskSpecFromPlan(chains[1].plan, 'load-b');
    expect(spec.stages).toEqual([]);
    expect(chains[1].plan.tasks.find((t) => t.id === 'extract-b')!.dependsOn).toEqual([]);
  });

  it('shares an extract between two loads, and finds the chain of any task', () => {
    const shared = plan([task('x', 'extract'), task('one', 'load', ['x']), task('two', 'load', ['x'])]);
    expect(planChains(shared).chains.map((c) => c.taskIds)).toEqual([
      ['x', 'one'],
      ['x', 'two'],
    ]);
    expect(chainOf(shared, 'two')!.loadTaskId).toBe('two');
    expect(chainOf(shared, 'x')!.loadTaskId).toBe('one');
    expect(chainOf(shared, 'missing')).toBeUndefined();
  });
});
