import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { Provider } from '@nestjs/common';
import { resolveSecret } from '@aoe/connectors';
import { createAirflowClient, FolderDagSpecStore, S3DagSpecStore, type DagSpecStore } from '../airflow';
import type { DispatcherOverrides } from '../dispatcher.module';
import {
  AIRFLOW_CLIENT,
  AIRFLOW_EXECUTOR_SETTINGS,
  AirflowExecutor,
  DAG_SPEC_STORE,
  type AirflowExecutorOptions,
} from './airflow.executor';
import { describeSpecLocation, type AirflowSelection, type DagSpecLocation } from './airflow.settings';

/**
 * What `DispatcherModule.with` needs to run on Airflow: the executor, its client,
 * DAG-spec store and settings. The DAG-spec folder is created (so checked) and the
 * password reference resolved once here, so a bad setting fails the start with one
 * line, not the first run. Nothing is sent to Airflow yet: it may start later.
 */
export async function airflowExecutorOverrides(selection: AirflowSelection): Promise<DispatcherOverrides> {
  const client = createAirflowClient(selection.airflow);
  if (selection.specs.kind === 'folder') await ensureWritableFolder(selection.specs.folder);
  await resolveSecret(selection.airflow.password).catch((error: unknown) => {
    throw new Error(`the Airflow password cannot be read: ${(error as Error).message}`);
  });
  const options: AirflowExecutorOptions = {
    ...selection.executor,
    specLocation: describeSpecLocation(selection.specs),
  };
  const providers: Provider[] = [
    { provide: AIRFLOW_CLIENT, useValue: client },
    { provide: DAG_SPEC_STORE, useValue: dagSpecStoreFor(selection.specs) },
    { provide: AIRFLOW_EXECUTOR_SETTINGS, useValue: options },
  ];
  return { executor: AirflowExecutor, providers };
}

export function dagSpecStoreFor(location: DagSpecLocation): DagSpecStore {
  if (location.kind === 'folder') return new FolderDagSpecStore(location.folder);
  const { kind: _kind, ...s3 } = location;
  return new S3DagSpecStore(s3);
}

async function ensureWritableFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
  } catch (error) {
    throw new Error(`AOE_DAG_SPEC_DIR ${folder} is not a writable folder (${(error as NodeJS.ErrnoException).code})`);
  }
}
