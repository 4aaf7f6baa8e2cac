import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateApiKeyUseCase } from '@aoe/gateway';
import { openStore, type Store } from '@aoe/store';
import { deleteTestStreams, dropTestSchema, testDatabaseUrl, testNatsUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../..');
const SERVICES = ['gateway', 'source-analysis', 'planner', 'optimizer', 'dispatcher'] as const;

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

const attributeMap = (attributes: OtlpAttribute[] = []) =>
  Object.fromEntries(
    attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue]),
  );

/** An OTLP/HTTP collector in the test: POST /v1/traces with JSON bodies (OTEL_EXPORTER_OTLP_PROTOCOL=http/json). */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; stop(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.includes('json')) {
      res.writeHead(415).end();
      return;
    }
    void body(req).then((raw) => {
      const request = JSON.parse(raw.toString('utf8')) as {
        resourceSpans?: Array<{
          resource?: { attributes?: OtlpAttribute[] };
          scopeSpans?: Array<{
            spans?: Array<{
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              name: string;
              attributes?: OtlpAttribute[];
            }>;
          }>;
        }>;
      };
      for (const resourceSpans of request.resourceSpans ?? []) {
        const resource = attributeMap(resourceSpans.resource?.attributes);
        const service = String(resource['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              attributes: attributeMap(span.attributes),
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans, stop: () => new Promise((r) => server.close(() => r())) };
}

/** One service as its own Node process (its built dist/src/main.js); resolves with its URL once it logs "ready". */
function startService(service: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const main = join(ROOT, 'services', service, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
  const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes(`"${service} ready"`)) continue;
        const { url } = JSON.parse(line) as { url: string };
        child.stdout.off('data', onData);
        resolvePromise({ child, url });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${service} exited with ${code} before it was ready:\n${output}`)));
  });
}

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The chain of spans from `span` up to the root of its trace, through parent ids. */
function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.filter((s) => s.traceId === span.traceId).map((s) => [s.spanId, s]));
  const chain = [span];
  for (let current = span; current.parentSpanId;) {
    const parent = byId.get(current.parentSpanId);
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

describe('one trace across processes: gateway request -> bus -> dispatcher -> load commit', () => {
  const namespace = uniqueName('trace');
  const schema = uniqueName('trace');
  const data = uniqueName('trace_data');
  const children: ChildProcess[] = [];
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let natsUrl: string;
  let databaseUrl: string;
  let gatewayUrl: string;
  let store: Store;
  let key: string;

  beforeAll(async () => {
    [natsUrl, databaseUrl] = await Promise.all([testNatsUrl(), testDatabaseUrl()]);
    receiver = await startOtlpReceiver();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      AOE_BUS_NAMESPACE: namespace,
      AOE_STORE_SCHEMA: schema,
      AOE_GRPC_PORT: '-1',
      AOE_SCHEDULER_INTERVAL_MS: '0',
      AOE_MONITOR_FRESHNESS_CHECK_MS: '0',
      LOG_LEVEL: 'info',
      // The standard variables, nothing else: where, how, and what the resource says.
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=e2e',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    delete env.OTEL_SERVICE_NAME;
    // The dispatcher first: it migrates the store the others then find ready.
    const started = [];
    for (const service of SERVICES) {
      const running = await startService(service, env);
      children.push(running.child);
      started.push(running);
    }
    gatewayUrl = started[0].url;
    store = await openStore({ url: databaseUrl, schema, applicationName: 'e2e' });
    key = (await new CreateApiKeyUseCase(store).execute({ name: 'trace', scope: 'write', createdBy: 'e2e' })).key;
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${data}"`);
    await pg.end();
  });

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((r) => {
            if (child.exitCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      ),
    );
    await store?.close();
    await receiver?.stop();
    await deleteTestStreams(natsUrl, namespace);
    await dropTestSchema(databaseUrl, schema);
    await dropTestSchema(databaseUrl, data);
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  it('links the gateway request span to the span of the load commit in the dispatcher, and planning through every agent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aoe-trace-'));
    const csv = join(dir, 'orders.csv');
    const rows = Array.from({ length: 200 }, (_, i) => `${i + 1},order ${i + 1},${(i * 37) % 1000}`);
    await writeFile(csv, `id,name,amount\n${rows.join('\n')}\n`);
    const source = await call('POST', '/v1/sources', { name: `orders ${data}`, spec: { kind: 'file', path: csv } });
    const pipeline = await call('POST', '/v1/pipelines', {
      sourceId: source.id,
      target: { kind: 'postgres', connection: { url: databaseUrl }, table: { schema: data, name: 'orders' } },
    });
    await eventually(async () => (await store.pipelines.get(pipeline.id))?.currentPlanVersion, 'the optimized plan');

    const { runId } = await call('POST', '/v1/runs', { pipelineId: pipeline.id });
    const run = await eventually(async () => {
      const found = await store.runs.get(runId);
      return found && ['succeeded', 'failed', 'cancelled'].includes(found.status) ? found : undefined;
    }, 'the run to end');
    expect(run).toMatchObject({ status: 'succeeded', stats: { rowsLoaded: 200 } });

    // The run: the gateway's request span is the root of the trace that ends in the dispatcher's load commit.
    const commit = await eventually(
      () =>
        receiver.spans.find(
          (s) =>
            s.service === 'dispatcher' && s.name.startsWith('load commit ') && s.attributes['aoe.run.id'] === runId,
        ),
      'the load commit span',
    );
    expect(commit.attributes).toMatchObject({ 'aoe.load.rows_written': 200 });
    expect(commit.resource).toMatchObject({ 'deployment.environment': 'e2e', 'service.name': 'dispatcher' });
    const request = receiver.spans.find((s) => s.service === 'gateway' && s.name === 'POST /v1/runs');
    expect(request).toBeDefined();
    expect(commit.traceId).toBe(request!.traceId);
    // A parent ends (and is exported) after its children: wait for the whole chain.
    const chain = await eventually(() => {
      const found = ancestry(receiver.spans, commit);
      return found.at(-1) === request ? found : undefined;
    }, 'the chain from the load commit up to the request');
    expect(chain.map((s) => `${s.service}: ${s.name}`)).toEqual([
      `dispatcher: ${commit.name}`,
      'dispatcher: handle aoe.cmd.run.requested',
      'gateway: publish aoe.cmd.run.requested',
      'gateway: POST /v1/runs',
    ]);

    // The pipeline's planning: one trace from the gateway through every agent's process to the dispatcher.
    const created = receiver.spans.find((s) => s.service === 'gateway' && s.name === 'POST /v1/pipelines')!;
    const activated = await eventually(
      () =>
        receiver.spans.find(
          (s) =>
            s.service === 'dispatcher' && s.name === 'handle aoe.evt.plan.optimized' && s.traceId === created.traceId,
        ),
      'the plan activation in the planning trace',
    );
    const planning = await eventually(() => {
      const found = ancestry(receiver.spans, activated);
      return found.at(-1) === created ? found : undefined;
    }, 'the chain from the plan activation up to the request');
    expect(planning.map((s) => `${s.service}: ${s.name}`)).toEqual([
      'dispatcher: handle aoe.evt.plan.optimized',
      'optimizer: publish aoe.evt.plan.optimized',
      'optimizer: handle aoe.evt.plan.drafted',
      'planner: publish aoe.evt.plan.drafted',
      'planner: handle aoe.evt.source.profiled',
      'source-analysis: publish aoe.evt.source.profiled',
      'source-analysis: handle aoe.cmd.source.analyze',
      'gateway: publish aoe.cmd.source.analyze',
      'gateway: POST /v1/pipelines',
    ]);
  });
});
