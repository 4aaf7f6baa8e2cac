import { Global, Module, type DynamicModule } from '@nestjs/common';
import { BusModule, JetStreamBus, telemetryObserver, type Bus } from '@aoe/messaging';
import { Store, openStore } from '@aoe/store';
import { TelemetryModule, setupTelemetry, type Telemetry } from '@aoe/telemetry';

/** What a service module may inject: Telemetry, the bus (token BUS) and the Store. */
export interface Platform {
  telemetry: Telemetry;
  bus: Bus;
  store: Store;
}

@Global()
@Module({})
class StoreModule {
  static forRoot(store: Store): DynamicModule {
    return { module: StoreModule, providers: [{ provide: Store, useValue: store }], exports: [Store] };
  }
}

/** The global modules that give services their platform, in either mode. */
export function platformModules(platform: Platform): DynamicModule[] {
  return [
    TelemetryModule.forRoot(platform.telemetry),
    BusModule.forRoot(platform.bus),
    StoreModule.forRoot(platform.store),
  ];
}

export interface MeshConnection {
  natsUrl: string;
  databaseUrl: string;
  /** Bus namespace: streams and subjects prefixed, for several environments on one NATS. */
  namespace?: string;
  /** Store schema (default `aoe`). */
  schema?: string;
  /** Store connections this process may hold (default 10). */
  poolSize?: number;
}

/** Mesh mode: JetStream and PostgreSQL, with readiness checks on both. */
export async function connectMeshPlatform(service: string, connection: MeshConnection): Promise<Platform> {
  const telemetry = setupTelemetry(service);
  const bus = await JetStreamBus.connect({
    servers: connection.natsUrl.split(','),
    namespace: connection.namespace,
    observer: telemetryObserver(telemetry.metrics, telemetry.logger),
  });
  try {
    const store = await openStore({
      url: connection.databaseUrl,
      schema: connection.schema,
      poolSize: connection.poolSize,
      applicationName: service,
    });
    registerReadiness({ telemetry, bus, store });
    return { telemetry, bus, store };
  } catch (error) {
    await bus.close();
    throw error;
  }
}

export function registerReadiness(platform: Platform): void {
  platform.telemetry.readiness.register('bus', () => platform.bus.ping());
  platform.telemetry.readiness.register('store', () => platform.store.ping());
}
