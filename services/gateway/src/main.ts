import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { GatewayModule } from './gateway.module';

// In the mesh the gateway serves gRPC too, on 50051 unless AOE_GRPC_PORT says otherwise.
process.env.AOE_GRPC_PORT ??= '50051';

void runMeshService('gateway', [GatewayModule]).catch((error: unknown) => {
  console.error(`gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
});
