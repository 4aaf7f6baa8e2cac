import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { RecoveryModule } from './recovery.module';

void runMeshService('recovery', [RecoveryModule]).catch((error: unknown) => {
  console.error(`recovery failed to start: ${(error as Error).message}`);
  process.exit(1);
});
