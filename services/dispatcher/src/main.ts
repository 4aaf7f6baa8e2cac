import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { DispatcherModule } from './dispatcher.module';

void runMeshService('dispatcher', [DispatcherModule]).catch((error: unknown) => {
  console.error(`dispatcher failed to start: ${(error as Error).message}`);
  process.exit(1);
});
