import { PipelinePlan, dagProblems } from './pipeline-plan';

const plan = (tasks: unknown[]) => ({
  pipelineId: 'p',
  sourceId: 's',
  version: 1,
  target: { kind: 'warehouse', table: { name: 'events' } },
  tasks,
  settings: { batchSize: 10_000, readParallelism: 1, loadConcurrency: 1 },
  createdBy: 'rules',
  createdAt: '2026-11-26T00:00:00.000Z',
});

describe('PipelinePlan', () => {
  it('accepts a DAG of extract, transform, validate and load', () => {
    const parsed = PipelinePlan.safeParse(
      plan([
        { id: 'extract', kind: 'extract', params: { mode: 'incremental', cursorColumn: 'updated_at' } },
        {
          id: 'clean',
          kind: 'transform',
          dependsOn: ['extract'],
          params: { operations: [{ op: 'mask', column: 'email', style: 'hash' }] },
        },
        {
          id: 'check',
          kind: 'validate',
          dependsOn: ['clean'],
          params: { rules: [{ rule: 'not-null', column: 'id' }], onFailure: 'quarantine' },
        },
        { id: 'load', kind: 'load', dependsOn: ['check'], params: { mode: 'merge', primaryKey: ['id'] } },
      ]),
    );
    expect(parsed.success).toBe(true);
  });

  it('names duplicate ids, unknown dependencies and cycles', () => {
    expect(
      dagProblems([
        { id: 'a', dependsOn: [] },
        { id: 'a', dependsOn: [] },
      ]),
    ).toEqual(['duplicate task id "a"']);
    expect(dagProblems([{ id: 'a', dependsOn: ['ghost'] }])).toEqual(['task "a" depends on unknown task "ghost"']);
    expect(
      dagProblems([
        { id: 'a', dependsOn: ['b'] },
        { id: 'b', dependsOn: ['a'] },
      ]),
    ).toEqual(['cycle: a -> b -> a']);
    const parsed = PipelinePlan.safeParse(
      plan([
        { id: 'x', kind: 'extract', dependsOn: ['y'], params: { mode: 'full' } },
        { id: 'y', kind: 'load', dependsOn: ['x'], params: { mode: 'append' } },
      ]),
    );
    expect(parsed.success).toBe(false);
  });

  it('refuses operations outside the declared set', () => {
    const parsed = PipelinePlan.safeParse(
      plan([{ id: 't', kind: 'transform', params: { operations: [{ op: 'sql', query: 'DROP TABLE x' }] } }]),
    );
    expect(parsed.success).toBe(false);
  });
});
