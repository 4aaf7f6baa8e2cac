import type { Type } from '@nestjs/common';
import { dispatcherModuleFromEnv } from '@aoe/dispatcher';
import { GatewayModule } from '@aoe/gateway';
import { MonitorModule } from '@aoe/monitor';
import { OptimizerModule } from '@aoe/optimizer';
import { PlannerModule } from '@aoe/planner';
import { RecoveryModule } from '@aoe/recovery';
import { runMeshService } from '@aoe/service-kit';
import { SourceAnalysisModule } from '@aoe/source-analysis';
import { CliError, ExitCode } from '../errors';
import type { CliIo } from '../io';

/** Each service's module; the dispatcher's depends on its executor settings (AOE_EXECUTOR). */
export const MESH_SERVICES: Record<string, (env: NodeJS.ProcessEnv) => Type | Promise<Type>> = {
  gateway: () => GatewayModule,
  'source-analysis': () => SourceAnalysisModule,
  planner: () => PlannerModule,
  optimizer: () => OptimizerModule,
  dispatcher: (env) => dispatcherModuleFromEnv(env),
  monitor: () => MonitorModule,
  recovery: () => RecoveryModule,
};

/**
 * `aoe serve <service>`: one service of the mesh (NATS_URL, DATABASE_URL,
 * HOST, PORT, …), serving until SIGTERM or SIGINT, when it stops consuming,
 * finishes what it holds and exits.
 */
export async function serve(service: string, io?: CliIo, run: typeof runMeshService = runMeshService): Promise<number> {
  const moduleOf = MESH_SERVICES[service];
  if (!moduleOf) {
    throw new CliError(
      `unknown service "${service}" (one of ${Object.keys(MESH_SERVICES).join(', ')})`,
      ExitCode.usage,
    );
  }
  try {
    await run(service, [await moduleOf(io?.env ?? process.env)]);
  } catch (error) {
    throw new CliError(`${service} failed to start: ${(error as Error).message}`, ExitCode.unreachable);
  }
  // Nest's shutdown hooks stop the service on SIGTERM or SIGINT and end the process: take the interrupt from the CLI.
  void io?.interrupted;
  return new Promise<number>(() => {});
}
