import { createHash } from 'node:crypto';
import { AgentDecision, Alert, PipelinePlan } from '@aoe/contracts';
import { JetStreamBus, telemetryObserver } from '@aoe/messaging';
import { registerReadiness, startServiceApp, type ServiceApp } from '@aoe/service-kit';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { openStore, type Store } from '@aoe/store';
import { setupTelemetry } from '@aoe/telemetry';
import { CreateApiKeyUseCase, GatewayModule } from '../src';
import { GrpcGateway } from '../src/grpc/grpc.server';

export interface Gateway extends ServiceApp {
  mesh: TestMesh;
  store: Store;
  bus: JetStreamBus;
  /** Every log line the gateway wrote. */
  logs: string[];
  grpcPort: number;
  keys: { admin: string; write: string; read: string };
  stop(): Promise<void>;
}

/** A gateway on a fresh bus namespace and store schema, with its log lines captured and one key per scope. */
export async function startGateway(prefix: string, env: Record<string, string> = {}): Promise<Gateway> {
  const mesh = await createTestMesh(prefix);
  const logs: string[] = [];
  Object.assign(process.env, { AOE_BUS_NAMESPACE: mesh.namespace, AOE_GRPC_PORT: '0', ...env });
  const telemetry = setupTelemetry('gateway', {
    logger: { destination: { write: (line: string) => logs.push(line) } },
  });
  const bus = await JetStreamBus.connect({
    servers: mesh.natsUrl,
    namespace: mesh.namespace,
    observer: telemetryObserver(telemetry.metrics, telemetry.logger),
  });
  const store = await openStore({ url: mesh.databaseUrl, schema: mesh.schema });
  registerReadiness({ telemetry, bus, store });
  const app = await startServiceApp({
    service: 'gateway',
    modules: [GatewayModule],
    platform: { telemetry, bus, store },
  });
  const create = app.app.get(CreateApiKeyUseCase);
  const key = async (scope: 'admin' | 'write' | 'read') =>
    (await create.execute({ name: `test ${scope}`, scope, createdBy: 'test' })).key;
  const keys = { admin: await key('admin'), write: await key('write'), read: await key('read') };
  return {
    ...app,
    mesh,
    store,
    bus,
    logs,
    grpcPort: app.app.get(GrpcGateway).port,
    keys,
    async stop() {
      await app.close();
      await mesh.stop();
    },
  };
}

/** A JSON caller with the given key (default: the admin key; null: no credentials). */
export function api(gateway: Gateway, key: string | null = gateway.keys.admin) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: json };
  };
}

export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const fileSpec = { kind: 'file', path: 'orders.csv' } as const;
export const warehouseTarget = { kind: 'warehouse', table: { schema: 'public', name: 'orders' } } as const;

export const planOf = (pipelineId: string, sourceId: string, version: number): PipelinePlan =>
  PipelinePlan.parse({
    pipelineId,
    sourceId,
    version,
    target: warehouseTarget,
    tasks: [
      { id: 'extract', kind: 'extract', params: { mode: 'full' } },
      { id: 'load', kind: 'load', dependsOn: ['extract'], params: { mode: 'append' } },
    ],
    settings: { batchSize: 1000, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: '2025-01-01T00:00:00.000Z',
  });

export const decisionOf = (id: string, subjectId: string, correlationId: string): AgentDecision =>
  AgentDecision.parse({
    id,
    agent: 'planner',
    subjectId,
    correlationId,
    inputDigest: createHash('sha256').update(id).digest('hex'),
    choice: { loadMode: 'append' },
    rationale: 'no primary key: append',
    decidedBy: 'rules',
    latencyMs: 3,
    accepted: true,
    at: new Date().toISOString(),
  });

export const alertOf = (id: string, pipelineId: string): Alert =>
  Alert.parse({
    id,
    pipelineId,
    kind: 'volume-drop',
    severity: 'warning',
    message: 'rows dropped by 80%',
    evidence: { expected: 1000, actual: 200 },
    at: new Date().toISOString(),
  });
