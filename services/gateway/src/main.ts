import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { GatewayModule } from './gateway.module';

void runMeshService('gateway', [GatewayModule]).catch((error: unknown) => {
  console.error(`gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
});
