import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestMicroservice } from '@nestjs/microservices';
import { BusTransportStrategy, RethrowRpcErrorsFilter } from '@aoe/messaging';
import { PinoNestLogger } from '@aoe/telemetry';
import { httpTracing } from './http-tracing.middleware';
import { jsonBody } from './json-body.middleware';
import { readServiceEnvironment } from './config';
import { connectMeshPlatform, platformModules, type Platform } from './platform';

export interface ServiceApp {
  /** The Nest application; without HTTP (`listen: false`) a microservice holding the bus handlers only. */
  app: INestApplicationContext;
  /** Base URL of the HTTP server (health, metrics, and any API); empty when not listening. */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The consumer name shared by the service's replicas. */
  service: string;
  /** The service's own Nest modules (controllers, bus handlers, use cases). */
  modules: Array<Type | DynamicModule>;
  platform: Platform;
  host?: string;
  port?: number;
  /** Largest JSON body accepted (default 1 MB). */
  bodyLimit?: string;
  /** Serve HTTP (default true); embedded mode in the CLI only needs the bus handlers. */
  listen?: boolean;
  /**
   * Close the app on SIGTERM/SIGINT (default true). Off for a process that
   * handles its signals itself: Nest closes the app and re-raises the signal,
   * which would end the process before that process's own cleanup has run.
   */
  shutdownHooks?: boolean;
}

/**
 * The service template: one Nest application with the platform's global
 * modules, the bus transport for every `@EventPattern`, an HTTP server with
 * /healthz, /readyz and /metrics, request tracing, and graceful shutdown.
 * The same call runs one service (mesh) or all of them (embedded).
 */
export async function startServiceApp(options: StartOptions): Promise<ServiceApp> {
  @Module({ imports: [...platformModules(options.platform), ...options.modules] })
  class ServiceRootModule {}

  const logger = new PinoNestLogger(options.platform.telemetry);
  const strategy = new BusTransportStrategy(options.platform.bus, options.service);
  let app: INestApplicationContext;
  let url = '';
  if (options.listen ?? true) {
    const http = await NestFactory.create(ServiceRootModule, { logger, bodyParser: false });
    http.use(httpTracing);
    http.use(jsonBody(options.bodyLimit ?? '1mb'));
    // Deferred, so the filter is in place before the handlers are wrapped.
    const bus = http.connectMicroservice({ strategy }, { deferInitialization: true });
    bus.useGlobalFilters(new RethrowRpcErrorsFilter());
    if (options.shutdownHooks ?? true) http.enableShutdownHooks();
    // Lifecycle hooks run once, before the bus delivers anything. A deferred
    // microservice would run them a second time when it starts (Nest 11).
    await http.init();
    if (bus instanceof NestMicroservice) bus.setIsInitHookCalled(true);
    await http.startAllMicroservices();
    await http.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    url = (await http.getUrl()).replace('[::1]', '127.0.0.1');
    app = http;
  } else {
    // No HTTP server: neither Express nor the routes are loaded (the CLI's embedded mode and worker).
    const microservice = await NestFactory.createMicroservice(ServiceRootModule, { logger, strategy });
    microservice.useGlobalFilters(new RethrowRpcErrorsFilter());
    if (options.shutdownHooks ?? true) microservice.enableShutdownHooks();
    await microservice.listen();
    app = microservice;
  }

  return {
    app,
    url,
    close: async () => {
      await app.close();
      await options.platform.bus.close();
      await options.platform.store.close();
    },
  };
}

/** A service's `main`: read the environment, connect to the mesh, serve until a signal. */
export async function runMeshService(service: string, modules: Type[]): Promise<ServiceApp> {
  const env = readServiceEnvironment();
  const platform = await connectMeshPlatform(service, {
    natsUrl: env.NATS_URL,
    databaseUrl: env.DATABASE_URL,
    namespace: env.AOE_BUS_NAMESPACE,
    schema: env.AOE_STORE_SCHEMA,
    poolSize: env.AOE_STORE_POOL_SIZE,
  });
  const running = await startServiceApp({ service, modules, platform, host: env.HOST, port: env.PORT });
  platform.telemetry.logger.info({ url: running.url }, `${service} ready`);
  return running;
}
