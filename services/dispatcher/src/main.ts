import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { DispatcherModule } from './dispatcher.module';
import { airflowExecutorOverrides } from './executor/airflow.setup';
import { readExecutorSelection } from './executor/airflow.settings';

/** The dispatcher on the mesh, with the executor `AOE_EXECUTOR` names (embedded unless `airflow`). */
async function main(): Promise<void> {
  const selection = readExecutorSelection(process.env);
  const module =
    selection.kind === 'airflow' ? DispatcherModule.with(await airflowExecutorOverrides(selection)) : DispatcherModule;
  await runMeshService('dispatcher', [module]);
}

void main().catch((error: unknown) => {
  console.error(`dispatcher failed to start: ${(error as Error).message}`);
  process.exit(1);
});
