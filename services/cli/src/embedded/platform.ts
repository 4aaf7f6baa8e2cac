import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import pino from 'pino';
import { DispatcherModule } from '@aoe/dispatcher';
import { GatewayModule } from '@aoe/gateway';
import { InProcessBroker, InProcessBus, telemetryObserver } from '@aoe/messaging';
import { MonitorModule } from '@aoe/monitor';
import { OptimizerModule } from '@aoe/optimizer';
import { PlannerModule } from '@aoe/planner';
import { registerReadiness, startServiceApp, type ServiceApp } from '@aoe/service-kit';
import { SourceAnalysisModule } from '@aoe/source-analysis';
import { openStore, type Store } from '@aoe/store';
import { setupTelemetry, type Telemetry } from '@aoe/telemetry';
import { lockHome } from '../home';

/** Every service module, mounted in one process in embedded mode. */
export const EMBEDDED_MODULES: Type[] = [
  GatewayModule,
  SourceAnalysisModule,
  PlannerModule,
  OptimizerModule,
  DispatcherModule,
  MonitorModule,
];

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
}

/**
 * Embedded mode: one process, an in-process bus with JetStream semantics,
 * the control-plane store on PGlite under `<home>/store`, the warehouse under
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

  const release = await lockHome(home);
  const telemetry = setupTelemetry('aoe', {
    logger: { level: env.LOG_LEVEL || 'silent', destination: pino.destination({ fd: 2, sync: true }) },
  });
  let store: Store | undefined;
  try {
    store = await openStore({ url: `pglite://${join(home, 'store')}`, applicationName: 'aoe' });
    const bus = new InProcessBus(new InProcessBroker(), telemetryObserver(telemetry.metrics, telemetry.logger));
    const platform = { telemetry, bus, store };
    registerReadiness(platform);
    const app = await startServiceApp({
      service: 'aoe',
      modules: options.services === false ? [] : EMBEDDED_MODULES,
      platform,
      listen: false,
    });
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
          await release();
        }
      },
    };
  } catch (error) {
    await store?.close().catch(() => undefined);
    await release();
    throw error;
  }
}
