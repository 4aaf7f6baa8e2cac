import { randomBytes } from 'node:crypto';

/**
 * Where integration tests find their servers. CI (and a developer with local
 * servers) sets NATS_URL and DATABASE_URL; otherwise the servers are started
 * with testcontainers, so anyone with a Docker engine runs the same suite.
 */
type Stoppable = { stop(): Promise<unknown> };
const started: Stoppable[] = [];
let natsUrl: Promise<string> | undefined;
let databaseUrl: Promise<string> | undefined;

export function testNatsUrl(): Promise<string> {
  natsUrl ??= process.env.NATS_URL ? Promise.resolve(process.env.NATS_URL) : startNatsContainer();
  return natsUrl;
}

export function testDatabaseUrl(): Promise<string> {
  databaseUrl ??= process.env.DATABASE_URL ? Promise.resolve(process.env.DATABASE_URL) : startPostgresContainer();
  return databaseUrl;
}

/** Stops whatever containers this process started (call from afterAll). */
export async function stopTestContainers(): Promise<void> {
  await Promise.all(started.splice(0).map((c) => c.stop()));
  natsUrl = undefined;
  databaseUrl = undefined;
}

/** A name no other test (or test process) is using: for schemas, streams, services. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function startNatsContainer(): Promise<string> {
  const { NatsContainer } = await import('@testcontainers/nats');
  const container = await new NatsContainer('nats:2.10-alpine').withJetStream().start();
  started.push(container);
  return `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
}

async function startPostgresContainer(): Promise<string> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  started.push(container);
  return container.getConnectionUri();
}
