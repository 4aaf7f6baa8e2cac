import type { Type } from '@nestjs/common';
import { DispatcherModule } from './dispatcher.module';
import { airflowExecutorOverrides } from './executor/airflow.setup';
import { readExecutorSelection } from './executor/airflow.settings';

/** The dispatcher module with the executor `AOE_EXECUTOR` names (embedded unless `airflow`). */
export async function dispatcherModuleFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Type> {
  const selection = readExecutorSelection(env);
  return selection.kind === 'airflow'
    ? DispatcherModule.with(await airflowExecutorOverrides(selection))
    : DispatcherModule;
}
