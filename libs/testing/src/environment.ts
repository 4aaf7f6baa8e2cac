import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';

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
  // Loaded only when no server is configured: testcontainers needs a Docker engine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NatsContainer } = require('@testcontainers/nats') as typeof import('@testcontainers/nats');
  const container = await new NatsContainer('nats:2.10-alpine').withJetStream().start();
  started.push(container);
  return `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
}

async function startPostgresContainer(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PostgreSqlContainer } = require('@testcontainers/postgresql') as typeof import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  started.push(container);
  return container.getConnectionUri();
}

/** Drops a schema a test created (and everything in it). */
export async function dropTestSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes the streams of a bus namespace a test created. */
export async function deleteTestStreams(natsUrl: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(`${namespace}_`)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}
