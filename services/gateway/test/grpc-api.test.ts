/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers are checked by expect() */
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type Client,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Messages } from '@aoe/contracts';
import { GATEWAY_PROTO, protoRoot } from '../src/grpc/proto-path';
import { RunEventsHub } from '../src/grpc/run-events.hub';
import {
  alertOf,
  decisionOf,
  eventually,
  fileSpec,
  startGateway,
  warehouseTarget,
  type Gateway,
} from './gateway-harness';

type Rpc = (request: object, key?: string | null) => Promise<any>;

describe('gateway gRPC API', () => {
  let gateway: Gateway;
  const clients: Client[] = [];
  let rpc: (service: string, method: string) => Rpc;
  let v1: GrpcObject;

  const metadataFor = (key: string | null | undefined) => {
    const metadata = new Metadata();
    if (key) metadata.set('authorization', `Bearer ${key}`);
    return metadata;
  };

  beforeAll(async () => {
    gateway = await startGateway('gwrpc');
    const definition = loadSync(GATEWAY_PROTO, { includeDirs: [protoRoot()], defaults: true, longs: Number });
    v1 = (loadPackageDefinition(definition).aoe as GrpcObject).v1 as GrpcObject;
    const byService = new Map<string, any>();
    rpc =
      (service, method) =>
      (request, key = gateway.keys.admin) =>
        new Promise((resolve, reject) => {
          let client = byService.get(service);
          if (!client) {
            const Ctor = v1[service] as ServiceClientConstructor;
            client = new Ctor(`127.0.0.1:${gateway.grpcPort}`, credentials.createInsecure());
            clients.push(client);
            byService.set(service, client);
          }
          client[method](request, metadataFor(key), (error: Error | null, reply: any) =>
            error ? reject(error) : resolve(reply),
          );
        });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await gateway.stop();
  });

  const json = (reply: { json: string }) => JSON.parse(reply.json);

  it('serves sources: create, list, get, test connection, analyze', async () => {
    const created = json(
      await rpc('Sources', 'CreateSource')({ registrationJson: JSON.stringify({ name: 'grpc-src', spec: fileSpec }) }),
    );
    expect(created).toMatchObject({ name: 'grpc-src', status: 'registered' });
    const listed = await rpc('Sources', 'ListSources')({ page: { limit: 1 }, kind: 'file' });
    expect(listed.items.map(json).map((s: any) => s.id)).toEqual([created.id]);
    expect(listed.nextCursor).toBe('');
    expect(json(await rpc('Sources', 'GetSource')({ id: created.id })).id).toBe(created.id);
    expect(json(await rpc('Sources', 'TestSourceConnection')({ id: created.id }))).toMatchObject({ ok: false });
    expect(json(await rpc('Sources', 'AnalyzeSource')({ id: created.id })).id).toBe(created.id);
    await expect(rpc('Sources', 'GetSource')({ id: 'missing' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(rpc('Sources', 'CreateSource')({ registrationJson: '{"spec":' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(
      rpc('Sources', 'CreateSource')({ registrationJson: JSON.stringify({ spec: { kind: 'file' } }) }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('spec.path') });
  });

  it('serves pipelines and runs, and streams a run’s events until it ends', async () => {
    const source = json(
      await rpc('Sources', 'CreateSource')({ registrationJson: JSON.stringify({ name: 'grpc-pipe', spec: fileSpec }) }),
    );
    const pipeline = json(
      await rpc(
        'Pipelines',
        'CreatePipeline',
      )({ pipelineJson: JSON.stringify({ sourceId: source.id, target: warehouseTarget }) }),
    );
    expect(json(await rpc('Pipelines', 'GetPipeline')({ id: pipeline.id }))).toMatchObject({
      id: pipeline.id,
      plan: null,
    });
    const list = await rpc('Pipelines', 'ListPipelines')({ sourceId: source.id });
    expect(list.items).toHaveLength(1);
    expect(json(await rpc('Pipelines', 'SchedulePipeline')({ id: pipeline.id, schedule: '0 * * * *' })).schedule).toBe(
      '0 * * * *',
    );
    await expect(rpc('Pipelines', 'SchedulePipeline')({ id: pipeline.id, schedule: 'soon' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    expect(json(await rpc('Pipelines', 'PausePipeline')({ id: pipeline.id })).status).toBe('paused');
    await expect(rpc('Runs', 'StartRun')({ pipelineId: pipeline.id })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    expect(json(await rpc('Pipelines', 'ResumePipeline')({ id: pipeline.id })).status).toBe('active');

    const accepted = json(await rpc('Runs', 'StartRun')({ pipelineId: pipeline.id }));
    expect(accepted).toMatchObject({ pipelineId: pipeline.id, status: 'requested' });
    const runId: string = accepted.runId;

    const Runs = v1.Runs as ServiceClientConstructor;
    const runs = new Runs(`127.0.0.1:${gateway.grpcPort}`, credentials.createInsecure());
    clients.push(runs);
    const stream = (runs as any).WatchRun({ id: runId }, metadataFor(gateway.keys.read));
    const events: any[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (e: any) => events.push(e));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const hub = gateway.app.get(RunEventsHub);
    await eventually(() => hub.watchedRuns > 0);
    const at = new Date().toISOString();
    const other = { runId: 'another-run', pipelineId: pipeline.id, status: 'started' as const, at };
    await gateway.bus.publish(Messages.RunStarted, other, { correlationId: 'another-run' });
    await gateway.bus.publish(
      Messages.RunStarted,
      { runId, pipelineId: pipeline.id, status: 'started', at },
      { correlationId: runId },
    );
    await gateway.bus.publish(
      Messages.TaskSucceeded,
      { runId, pipelineId: pipeline.id, taskId: 'extract', status: 'succeeded', attempt: 1, at, rows: 10 },
      { correlationId: runId },
    );
    await gateway.bus.publish(
      Messages.RunSucceeded,
      { runId, pipelineId: pipeline.id, status: 'succeeded', at },
      { correlationId: runId },
    );
    await ended;
    expect(events.map((e) => [e.type, e.taskId])).toEqual([
      ['run.started', ''],
      ['task.succeeded', 'extract'],
      ['run.succeeded', ''],
    ]);
    expect(JSON.parse(events[1].payloadJson)).toMatchObject({ rows: 10 });
    await eventually(() => hub.watchedRuns === 0);

    const run = await gateway.store.runs.create({ pipelineId: pipeline.id, trigger: 'api' });
    expect(json(await rpc('Runs', 'GetRun')({ id: run.id }))).toMatchObject({ id: run.id, tasks: [] });
    const runList = await rpc('Runs', 'ListRuns')({ pipelineId: pipeline.id, page: { limit: 10 } });
    expect(runList.items.map(json).map((r: any) => r.id)).toEqual([run.id]);
    expect(json(await rpc('Runs', 'CancelRun')({ id: run.id, reason: 'stop' }))).toMatchObject({
      status: 'cancel-requested',
    });
    expect(json(await rpc('Pipelines', 'DeletePipeline')({ id: pipeline.id })).status).toBe('deleted');
  });

  it('refuses a stream without credentials or without a run id', async () => {
    const Runs = v1.Runs as ServiceClientConstructor;
    const runs = new Runs(`127.0.0.1:${gateway.grpcPort}`, credentials.createInsecure());
    clients.push(runs);
    const failure = (request: object, key: string | null) =>
      new Promise<any>((resolve) => {
        const stream = (runs as any).WatchRun(request, metadataFor(key));
        stream.on('data', () => undefined);
        stream.on('error', resolve);
      });
    expect(await failure({ id: 'r' }, null)).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(await failure({ id: '' }, gateway.keys.read)).toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('serves alerts, dead letters, decisions and admin', async () => {
    await gateway.store.alerts.record(alertOf('grpc-alert', 'p'));
    const alerts = await rpc('Alerts', 'ListAlerts')({ pipelineId: 'p', openOnly: true });
    expect(alerts.items.map(json).map((a: any) => a.id)).toEqual(['grpc-alert']);
    expect(json(await rpc('Alerts', 'AcknowledgeAlert')({ id: 'grpc-alert' })).acknowledgedAt).toEqual(
      expect.any(String),
    );

    await gateway.store.decisions.record(decisionOf('grpc-dec', 'p', 'run-g'));
    const decisions = await rpc('Decisions', 'ListDecisions')({ runId: 'run-g' });
    expect(decisions.items.map(json).map((d: any) => d.id)).toEqual(['grpc-dec']);

    await gateway.store.deadLetters.record(
      {
        service: 'svc',
        originalSubject: 'aoe.cmd.run.cancel',
        originalData: JSON.stringify({ bad: true }),
        originalEncoding: 'utf-8',
        originalHeaders: {},
        reason: 'x',
        kind: 'invalid-message',
        attempts: 1,
        failedAt: new Date().toISOString(),
      },
      'grpc-dl',
    );
    expect((await rpc('DeadLetters', 'ListDeadLetters')({ service: 'svc' })).items).toHaveLength(1);
    await expect(rpc('DeadLetters', 'ReplayDeadLetter')({ id: 'grpc-dl' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });

    const key = json(await rpc('Admin', 'CreateApiKey')({ name: 'grpc', scope: 'read' }));
    expect(key.key).toMatch(/^aoe_/);
    expect((await rpc('Alerts', 'ListAlerts')({}, key.key)).items.length).toBeGreaterThan(0);
    expect(json(await rpc('Admin', 'RevokeApiKey')({ id: key.id })).revokedAt).toEqual(expect.any(String));
    await expect(rpc('Alerts', 'ListAlerts')({}, key.key)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it('answers UNAUTHENTICATED and PERMISSION_DENIED, and audits writes', async () => {
    await expect(rpc('Runs', 'ListRuns')({}, null)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(rpc('Runs', 'StartRun')({ pipelineId: 'x' }, gateway.keys.read)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(rpc('Admin', 'CreateApiKey')({ name: 'x', scope: 'admin' }, gateway.keys.write)).rejects.toMatchObject(
      {
        code: status.PERMISSION_DENIED,
      },
    );
    await expect(rpc('Runs', 'ListRuns')({ page: { cursor: 'bad' } })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    const audit = (await gateway.store.audit.list({ limit: 500 })).items;
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'grpc StartRun', result: 'denied', statusCode: 403 }),
        expect.objectContaining({ action: 'grpc CreateSource', result: 'succeeded' }),
      ]),
    );
  });
});
