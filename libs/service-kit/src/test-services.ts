import type { DynamicModule, Type } from '@nestjs/common';
import { deleteTestStreams, dropTestSchema, testDatabaseUrl, testNatsUrl, uniqueName } from '@aoe/testing';
import { startServiceApp, type ServiceApp } from './bootstrap';
import { connectMeshPlatform, type Platform } from './platform';

export interface TestMesh {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  schema: string;
  /** Starts one replica of a service on the test's bus namespace and store schema. */
  start(service: string, modules: Array<Type | DynamicModule>): Promise<ServiceApp & { platform: Platform }>;
  /** Stops every replica, deletes the namespace's streams and drops the schema. */
  stop(): Promise<void>;
}

/** Real NATS and PostgreSQL (from NATS_URL/DATABASE_URL, or testcontainers), isolated per test file. */
export async function createTestMesh(prefix: string): Promise<TestMesh> {
  const [natsUrl, databaseUrl] = await Promise.all([testNatsUrl(), testDatabaseUrl()]);
  const namespace = uniqueName(prefix);
  const schema = uniqueName(prefix);
  const running: ServiceApp[] = [];
  return {
    natsUrl,
    databaseUrl,
    namespace,
    schema,
    async start(service, modules) {
      const platform = await connectMeshPlatform(service, { natsUrl, databaseUrl, namespace, schema });
      const app = await startServiceApp({ service, modules, platform });
      running.push(app);
      return { ...app, platform };
    },
    async stop() {
      for (const app of running.splice(0).reverse()) await app.close();
      await deleteTestStreams(natsUrl, namespace);
      await dropTestSchema(databaseUrl, schema);
    },
  };
}
