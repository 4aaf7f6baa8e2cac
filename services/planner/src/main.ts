import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { PlannerModule } from './planner.module';

void runMeshService('planner', [PlannerModule]).catch((error: unknown) => {
  console.error(`planner failed to start: ${(error as Error).message}`);
  process.exit(1);
});
