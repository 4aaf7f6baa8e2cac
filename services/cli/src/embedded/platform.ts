import { join } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import type { InProcessBus } from '@aoe/messaging';
import type { SourceProfiler } from '@aoe/source-analysis';
import type { ServiceApp } from '@aoe/service-kit';
import type { Store } from '@aoe/store';
import type { Telemetry } from '@aoe/telemetry';
import { abandonStoreOpen, beginStoreOpen, type StoreOpening } from './store-opening';

/*
 * The services and the platform are loaded by startEmbedded, once the store has
 * started opening (beginStoreOpen): the two overlap.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const load = {
  pino: () => require('pino') as typeof import('pino'),
  messaging: () => require('@aoe/messaging') as typeof import('@aoe/messaging'),
  serviceKit: () => require('@aoe/service-kit') as typeof import('@aoe/service-kit'),
  telemetry: () => require('@aoe/telemetry') as typeof import('@aoe/telemetry'),
};

/**
 * Every service's bus handlers, mounted in one process in embedded mode. Of the
 * gateway only its dead-letter recorder: embedded mode serves neither REST nor gRPC.
 */
export function embeddedModules(profiler?: SourceProfiler): Array<Type | DynamicModule> {
  const { SourceAnalysisModule } = require('@aoe/source-analysis') as typeof import('@aoe/source-analysis');
  return [
    (require('@aoe/gateway/dead-letters') as typeof import('@aoe/gateway/dead-letters')).DeadLettersModule,
    profiler ? SourceAnalysisModule.withProfiler(profiler) : SourceAnalysisModule,
    (require('@aoe/planner') as typeof import('@aoe/planner')).PlannerModule,
    (require('@aoe/optimizer') as typeof import('@aoe/optimizer')).OptimizerModule,
    (require('@aoe/dispatcher') as typeof import('@aoe/dispatcher')).DispatcherModule,
    (require('@aoe/monitor') as typeof import('@aoe/monitor')).MonitorModule,
  ];
}
/* eslint-enable @typescript-eslint/no-require-imports */

export interface Embedded {
  home: string;
  bus: InProcessBus;
  store: Store;
  telemetry: Telemetry;
  app: ServiceApp;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Mount the services (default true); `false` opens the store only (`aoe runs`, `aoe decisions`). */
  services?: boolean;
  /** The home's store, when the command started opening it already (beginStoreOpen); it is owned from now on. */
  store?: StoreOpening;
  /** Source analysis's profiler, when the command made it (to profile its source ahead); else the module's own. */
  profiler?: SourceProfiler;
}

/**
 * Embedded mode: one process, an in-process bus with JetStream semantics,
 * the control-plane store on PGlite under `<home>/store` (held open by the
 * home's store daemon, or in a worker thread), the warehouse under
 * `<home>/warehouse`, and every service module mounted without HTTP. Logs go
 * to stderr, and only when LOG_LEVEL asks for them.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const { home, env } = options;
  // The dispatcher reads its settings from the environment: point it at this home.
  process.env.AOE_WAREHOUSE_DIR = env.AOE_WAREHOUSE_DIR ?? join(home, 'warehouse');
  process.env.AOE_SCHEDULER_INTERVAL_MS = env.AOE_SCHEDULER_INTERVAL_MS ?? '0';
  // A one-shot command has no time for freshness: that is the long-running monitor's job.
  process.env.AOE_MONITOR_FRESHNESS_CHECK_MS = env.AOE_MONITOR_FRESHNESS_CHECK_MS ?? '0';

  const opening = options.store ?? (await beginStoreOpen(home, env));
  let store: Store | undefined;
  try {
    const modules = options.services === false ? [] : embeddedModules(options.profiler);
    const pino = load.pino();
    const { InProcessBroker, InProcessBus, telemetryObserver } = load.messaging();
    const { registerReadiness, startServiceApp } = load.serviceKit();
    const telemetry = load.telemetry().setupTelemetry('aoe', {
      logger: { level: env.LOG_LEVEL || 'silent', destination: pino.destination({ fd: 2, sync: true }) },
      // Spans only when the OTEL_* variables send them somewhere: otherwise nobody could see them.
      tracing: { onlyWhenExported: true },
    });
    store = await opening.store;
    const bus = new InProcessBus(new InProcessBroker(), telemetryObserver(telemetry.metrics, telemetry.logger));
    const platform = { telemetry, bus, store };
    registerReadiness(platform);
    // The CLI handles Ctrl-C itself (the run is cancelled, then awaited): Nest must not close the app on it.
    const app = await startServiceApp({ service: 'aoe', modules, platform, listen: false, shutdownHooks: false });
    let closed = false;
    return {
      home,
      bus,
      store,
      telemetry,
      app,
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await app.close();
        } finally {
          bus.broker.close();
          await opening.release();
        }
      },
    };
  } catch (error) {
    await abandonStoreOpen(opening);
    throw error;
  }
}
