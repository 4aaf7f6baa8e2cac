import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { OptimizerModule } from './optimizer.module';

void runMeshService('optimizer', [OptimizerModule]).catch((error: unknown) => {
  console.error(`optimizer failed to start: ${(error as Error).message}`);
  process.exit(1);
});
