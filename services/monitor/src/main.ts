import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { MonitorModule } from './monitor.module';

void runMeshService('monitor', [MonitorModule]).catch((error: unknown) => {
  console.error(`monitor failed to start: ${(error as Error).message}`);
  process.exit(1);
});
