import { PipelinePlan } from '@aoe/contracts';
import { PlanError } from '../errors';
import { InMemoryQuarantineSink } from '../quarantine/quarantine-sink';
import { taskSpecFromPlan, transformFailurePolicy } from './task-spec';

function plan(tasks: unknown[]): PipelinePlan {
  return PipelinePlan.parse({
    pipelineId: 'p',
    sourceId: 's',
    version: 1,
    target: { kind: 'warehouse', table: { name: 't' } },
    tasks,
    settings: { batchSize: 500, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: '2026-01-01T00:00:00Z',
  });
}

const extract = { id: 'e', kind: 'extract', params: { mode: 'incremental', cursorColumn: 'updated_at' } };
const t1 = {
  id: 't1',
  kind: 'transform',
  dependsOn: ['e'],
  params: { operations: [{ op: 'select', columns: ['a'] }] },
};
const v1 = {
  id: 'v1',
  kind: 'validate',
  dependsOn: ['t1'],
  params: { rules: [{ rule: 'not-null', column: 'a' }], onFailure: 'fail' },
};
const t2 = {
  id: 't2',
  kind: 'transform',
  dependsOn: ['v1'],
  params: { operations: [{ op: 'rename', from: 'a', to: 'b' }] },
};
const load = { id: 'l', kind: 'load', dependsOn: ['t2'], params: { mode: 'merge', primaryKey: ['b'] } };

describe('taskSpecFromPlan', () => {
  it('fuses the chain ending in the load task, in dependency order', () => {
    const spec = taskSpecFromPlan(plan([load, t2, v1, t1, extract]));
    expect(spec).toEqual({
      pipelineId: 'p',
      extract: { mode: 'incremental', cursorColumn: 'updated_at', partitions: 1 },
      stages: [
        { kind: 'transform', taskId: 't1', operations: [{ op: 'select', columns: ['a'] }] },
        { kind: 'validate', taskId: 'v1', rules: [{ rule: 'not-null', column: 'a' }], onFailure: 'fail' },
        { kind: 'transform', taskId: 't2', operations: [{ op: 'rename', from: 'a', to: 'b' }] },
      ],
      load: { mode: 'merge', primaryKey: ['b'], schemaEvolution: 'additive' },
      batchSize: 500,
    });
    expect(transformFailurePolicy(spec)).toBe('fail');
  });

  it('picks the named load task among several, ignoring other branches', () => {
    const load2 = { id: 'l2', kind: 'load', dependsOn: ['e'], params: { mode: 'append' } };
    const spec = taskSpecFromPlan(plan([extract, t1, v1, t2, load, load2]), 'l2');
    expect(spec.stages).toEqual([]);
    expect(spec.load.mode).toBe('append');
    expect(() => taskSpecFromPlan(plan([extract, t1, v1, t2, load, load2]))).toThrow(
      '2 load tasks; name the one to run',
    );
    expect(() => taskSpecFromPlan(plan([extract, load2]), 'nope')).toThrow('no load task "nope"');
  });

  it('refuses chains without exactly one extract', () => {
    const e2 = { ...extract, id: 'e2' };
    const join = { id: 'l', kind: 'load', dependsOn: ['e', 'e2'], params: { mode: 'append' } };
    expect(() => taskSpecFromPlan(plan([extract, e2, join]))).toThrow(PlanError);
    const noCursor = { id: 'e', kind: 'extract', params: { mode: 'incremental' } };
    const l = { id: 'l', kind: 'load', dependsOn: ['e'], params: { mode: 'append' } };
    // Files and objects need no cursor column (runTask checks it against the source).
    expect(taskSpecFromPlan(plan([noCursor, l])).extract).toEqual({
      mode: 'incremental',
      cursorColumn: undefined,
      partitions: 1,
    });
  });

  it('refuses a dependency it cannot find (a plan built without the contract)', () => {
    const broken = { ...plan([extract, { id: 'l', kind: 'load', dependsOn: ['e'], params: { mode: 'append' } }]) };
    broken.tasks = [broken.tasks[1]];
    expect(() => taskSpecFromPlan(broken)).toThrow('unknown task "e"');
  });

  it('quarantines transform failures when a validate stage quarantines, or when told', () => {
    const q = { ...v1, params: { ...v1.params, onFailure: 'quarantine' } };
    expect(transformFailurePolicy(taskSpecFromPlan(plan([extract, t1, q, t2, load])))).toBe('quarantine');
    expect(
      transformFailurePolicy({ ...taskSpecFromPlan(plan([extract, t1, q, t2, load])), onTransformFailure: 'fail' }),
    ).toBe('fail');
  });
});

describe('InMemoryQuarantineSink', () => {
  it('keeps one record per (run, task, position)', async () => {
    const sink = new InMemoryQuarantineSink();
    const record = { runId: 'r', taskId: 't', position: 'p', reason: 'x', row: {}, stage: 'validate' as const };
    await sink.write([record, { ...record, reason: 'again' }, { ...record, position: 'q' }]);
    expect(sink.records.map((r) => [r.position, r.reason])).toEqual([
      ['p', 'x'],
      ['q', 'x'],
    ]);
    sink.clear();
    expect(sink.records).toEqual([]);
  });
});
