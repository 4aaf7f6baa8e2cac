import { PipelinePlan } from '@aoe/contracts';
import { renderDagSpec } from './src/airflow/dag-spec';
const plan = PipelinePlan.parse({
  pipelineId: 'orders', sourceId: 'pg-orders', version: 3,
  target: { kind: 'warehouse', table: { name: 'orders' } },
  tasks: [
    { id: 'extract', kind: 'extract', params: { mode: 'incremental', cursorColumn: 'updated_at' } },
    { id: 'transform', kind: 'transform', dependsOn: ['extract'], params: { operations: [] } },
    { id: 'validate', kind: 'validate', dependsOn: ['transform'], params: { rules: [], onFailure: 'fail' } },
    { id: 'load', kind: 'load', dependsOn: ['validate'], params: { mode: 'merge', primaryKey: ['id'] } },
  ],
  settings: { batchSize: 1000, readParallelism: 1, loadConcurrency: 1 },
  schedule: '0 * * * *',
  createdBy: 'rules', createdAt: '2025-01-01T00:00:00.000Z',
});
console.log(JSON.stringify(renderDagSpec(plan), null, 2));
