import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { dispatcherModuleFromEnv } from './dispatcher-from-env';

async function main(): Promise<void> {
  await runMeshService('dispatcher', [await dispatcherModuleFromEnv(process.env)]);
}

void main().catch((error: unknown) => {
  console.error(`dispatcher failed to start: ${(error as Error).message}`);
  process.exit(1);
});
