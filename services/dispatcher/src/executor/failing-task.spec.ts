import type { PipelinePlan } from '@aoe/contracts';
import { CastError, DataQualityError, PlanError } from '@aoe/engine';
import { planChains } from './chains';
import { failingTask } from './failing-task';

const plan = {
  pipelineId: 'p',
  sourceId: 's',
  version: 1,
  target: { kind: 'warehouse', table: { schema: 'public', name: 't' } },
  policy: { maskPii: false, schemaEvolution: 'additive' },
  tasks: [
    { id: 'read', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
    { id: 'shape', kind: 'transform', dependsOn: ['read'], params: { operations: [] } },
    { id: 'first-check', kind: 'validate', dependsOn: ['shape'], params: { rules: [], onFailure: 'fail' } },
    { id: 'last-check', kind: 'validate', dependsOn: ['first-check'], params: { rules: [], onFailure: 'fail' } },
    { id: 'write', kind: 'load', dependsOn: ['last-check'], params: { mode: 'append', schemaEvolution: 'additive' } },
  ],
  settings: { batchSize: 100, readParallelism: 1, loadConcurrency: 1 },
  createdBy: 'rules',
  createdAt: '2026-11-26T00:00:00.000Z',
} satisfies PipelinePlan;
const chain = planChains(plan).chains[0];
const failure = (stage: 'source' | 'transform' | 'validate') => ({ position: 'f:1', reason: 'bad', row: {}, stage });

describe('failingTask', () => {
  it('puts source errors on the extract, row failures on the stage that found them', () => {
    expect(failingTask(plan, chain, new Error('ECONNRESET'), true)).toBe('read');
    expect(failingTask(plan, chain, new DataQualityError('x', [failure('source')]), false)).toBe('read');
    expect(failingTask(plan, chain, new DataQualityError('x', [failure('transform')]), false)).toBe('shape');
    expect(failingTask(plan, chain, new DataQualityError('x', [failure('validate')]), false)).toBe('last-check');
    expect(failingTask(plan, chain, new DataQualityError('row count', []), false)).toBe('last-check');
    expect(failingTask(plan, chain, new CastError('not a number'), false)).toBe('shape');
    expect(failingTask(plan, chain, Object.assign(new Error('1/0'), { name: 'EvaluationError' }), false)).toBe('shape');
  });

  it('reads the task a plan problem names, else its stage, else the load', () => {
    expect(
      failingTask(plan, chain, new PlanError([{ where: 'task "first-check" rule #1', message: 'no column' }]), false),
    ).toBe('first-check');
    expect(failingTask(plan, chain, new PlanError([{ where: 'extract', message: 'no cursor' }]), false)).toBe('read');
    expect(failingTask(plan, chain, new PlanError([{ where: 'transform #1', message: 'x' }]), false)).toBe('shape');
    expect(failingTask(plan, chain, new PlanError([{ where: 'validate rule #2', message: 'x' }]), false)).toBe(
      'first-check',
    );
    expect(failingTask(plan, chain, new PlanError([{ where: 'load', message: 'no key' }]), false)).toBe('write');
    expect(failingTask(plan, chain, new Error('the target is full'), false)).toBe('write');
  });
});
