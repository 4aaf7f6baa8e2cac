/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers are checked by expect() */
import { readFileSync } from 'node:fs';
import { Messages, type RunCancelRequested, type RunRequested, type AnalyzeSource, type Alert } from '@aoe/contracts';
import { NonRetryableError, type InboundMessage } from '@aoe/messaging';
import { OPENAPI_FILE, renderOpenApi } from '../src/openapi/export-openapi';
import { ROUTES } from '../src/openapi/routes';
import {
  alertOf,
  api,
  decisionOf,
  eventually,
  fileSpec,
  planOf,
  startGateway,
  warehouseTarget,
  type Gateway,
} from './gateway-harness';

describe('gateway REST API', () => {
  let gateway: Gateway;
  let call: ReturnType<typeof api>;
  const analyses: AnalyzeSource[] = [];
  const runRequests: Array<InboundMessage<RunRequested>> = [];
  const cancels: RunCancelRequested[] = [];
  const alertDeliveries: Array<InboundMessage<Alert>> = [];
  const SECRET = 'pg-secret-value-0f9d8c';

  beforeAll(async () => {
    process.env.GW_TEST_PG_PASSWORD = SECRET;
    gateway = await startGateway('gwapi');
    call = api(gateway);
    await gateway.bus.subscribe({
      service: 'analysis-probe',
      definitions: [Messages.AnalyzeSource],
      handler: async (m) => void analyses.push(m.payload),
    });
    await gateway.bus.subscribe({
      service: 'dispatcher-probe',
      definitions: [Messages.RunRequested],
      handler: async (m) => void runRequests.push(m),
    });
    await gateway.bus.subscribe({
      service: 'cancel-probe',
      definitions: [Messages.RunCancelRequested],
      handler: async (m) => void cancels.push(m.payload),
    });
    // A consumer that gives up on the first delivery of each alert and handles the replay.
    await gateway.bus.subscribe({
      service: 'replay-probe',
      definitions: [Messages.AlertRaised],
      handler: async (m) => {
        alertDeliveries.push(m);
        if (!m.envelope.causationId) throw new NonRetryableError('cannot handle this yet');
      },
    });
  });
  afterAll(() => gateway.stop());

  async function givenPipeline(name: string) {
    const source = await call('POST', '/v1/sources', { name, spec: fileSpec });
    const pipeline = await call('POST', '/v1/pipelines', { sourceId: source.body.id, target: warehouseTarget });
    expect(pipeline.status).toBe(202);
    return { sourceId: source.body.id as string, pipelineId: pipeline.body.id as string };
  }

  describe('the API document', () => {
    it('serves OpenAPI 3.1 at /docs/openapi.json and a page at /docs, without credentials', async () => {
      const res = await fetch(`${gateway.url}/docs/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as any;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/runs', '/v1/dead-letters/{id}/replay']));
      expect(doc.components.schemas.SourceRegistration.properties.spec).toBeDefined();
      const page = await fetch(`${gateway.url}/docs`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/docs/openapi.json');
    });

    it('is checked in up to date (run the export script when this fails)', () => {
      expect(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'))).toEqual(JSON.parse(renderOpenApi()));
    });

    it('protects every documented route: no credentials 401, too small a scope 403', async () => {
      for (const route of ROUTES) {
        const path = route.path.replace(/\{\w+\}/g, 'x');
        const anonymous = await api(gateway, null)(route.method.toUpperCase(), path);
        expect([route.method, path, anonymous.status]).toEqual([route.method, path, 401]);
        expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
        if (route.scope !== 'read') {
          const weak = await api(gateway, gateway.keys.read)(route.method.toUpperCase(), path);
          expect([route.method, path, weak.status]).toEqual([route.method, path, 403]);
        }
      }
      expect((await api(gateway, 'aoe_0123456789abcdef_' + 'x'.repeat(43))('GET', '/v1/runs')).status).toBe(401);
      expect((await api(gateway, 'not-a-key-nor-a-jwt')('GET', '/v1/runs')).status).toBe(401);
      // the x-api-key header works as well as the bearer header
      const viaHeader = await api(gateway, null)('GET', '/v1/runs', undefined, { 'x-api-key': gateway.keys.read });
      expect(viaHeader.status).toBe(200);
    });
  });

  describe('sources', () => {
    it('lists with the same pagination as every list', async () => {
      for (const name of ['list-a', 'list-b', 'list-c']) await call('POST', '/v1/sources', { name, spec: fileSpec });
      const first = await call('GET', '/v1/sources?limit=2&kind=file');
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await call('GET', `/v1/sources?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items[0].id).not.toBe(first.body.items[1].id);
      expect((await call('GET', '/v1/sources?limit=0')).status).toBe(400);
      expect((await call('GET', '/v1/sources?cursor=garbage')).status).toBe(400);
      const unknown = await call('GET', '/v1/sources?colour=red');
      expect(unknown.status).toBe(400);
      expect(unknown.body.issues[0].code).toBe('unrecognized_keys');
    });

    it('re-analyses a source', async () => {
      const source = await call('POST', '/v1/sources', { name: 'again', spec: fileSpec });
      const res = await call('POST', `/v1/sources/${source.body.id}/analyze`);
      expect(res.status).toBe(202);
      await eventually(() => analyses.filter((a) => a.sourceId === source.body.id).length >= 2);
      expect((await call('POST', '/v1/sources/missing/analyze')).status).toBe(404);
    });

    it('tests a connection without ever returning or logging the credential', async () => {
      const spec = {
        kind: 'postgres',
        connection: {
          host: '127.0.0.1',
          port: 1,
          database: 'nowhere',
          user: 'etl',
          password: { env: 'GW_TEST_PG_PASSWORD' },
        },
        table: { schema: 'public', name: 'orders' },
      };
      const source = await call('POST', '/v1/sources', { name: 'pg-secret', spec });
      expect(source.status).toBe(202);
      const res = await call('POST', `/v1/sources/${source.body.id}/test-connection`);
      expect(res.status).toBe(200);
      expect(res.body.ok).toBe(false);
      expect(res.body.message).toEqual(expect.any(String));
      const file = await call('POST', '/v1/sources', {
        name: 'missing-file',
        spec: { kind: 'file', path: '/nope/x.csv' },
      });
      const fileCheck = await call('POST', `/v1/sources/${file.body.id}/test-connection`);
      expect(fileCheck.body.ok).toBe(false);
      expect((await call('POST', '/v1/sources/missing/test-connection')).status).toBe(404);
      const everything = [res.text, source.text, (await call('GET', `/v1/sources/${source.body.id}`)).text].join('\n');
      expect(everything).not.toContain(SECRET);
      expect(gateway.logs.join('\n')).not.toContain(SECRET);
    });
  });

  describe('pipelines', () => {
    it('creates one from a source and a target and asks for analysis with the pipeline attached', async () => {
      const { sourceId, pipelineId } = await givenPipeline('pipe-src');
      const command = await eventually(() => analyses.find((a) => a.pipeline?.pipelineId === pipelineId));
      expect(command).toMatchObject({ sourceId, pipeline: { target: warehouseTarget } });
      expect((await call('POST', '/v1/pipelines', { sourceId: 'nope', target: warehouseTarget })).status).toBe(404);
    });

    it('refuses a malformed, invalid or oversized body', async () => {
      const malformed = await call('POST', '/v1/pipelines', '{"sourceId":');
      expect(malformed.status).toBe(400);
      const invalid = await call('POST', '/v1/pipelines', { sourceId: 'x', target: { kind: 'warehouse' }, extra: 1 });
      expect(invalid.status).toBe(400);
      expect(invalid.body.issues.map((i: { path: string }) => i.path)).toEqual(
        expect.arrayContaining(['target.table', '']),
      );
      const big = await call('POST', '/v1/pipelines', { sourceId: 'x'.repeat(2 * 1024 * 1024) });
      expect(big.status).toBe(413);
      const badCron = await call('POST', '/v1/pipelines', {
        sourceId: 'x',
        target: warehouseTarget,
        schedule: 'often',
      });
      expect(badCron.status).toBe(400);
      expect(badCron.text).toContain('cron');
    });

    it('shows the current plan and the decisions behind it', async () => {
      const { sourceId, pipelineId } = await givenPipeline('plan-src');
      const bare = await call('GET', `/v1/pipelines/${pipelineId}`);
      expect(bare.body).toMatchObject({ id: pipelineId, plan: null, decisions: [] });
      await gateway.store.plans.save(planOf(pipelineId, sourceId, 1));
      await gateway.store.pipelines.setCurrentPlanVersion(pipelineId, 1);
      await gateway.store.decisions.record(decisionOf(`d-${pipelineId}`, pipelineId, 'corr'));
      const detail = await call('GET', `/v1/pipelines/${pipelineId}`);
      expect(detail.status).toBe(200);
      expect(detail.body.plan).toMatchObject({ version: 1, createdBy: 'rules', plan: { pipelineId } });
      expect(detail.body.decisions.map((d: { id: string }) => d.id)).toEqual([`d-${pipelineId}`]);
      expect((await call('GET', '/v1/pipelines/missing')).status).toBe(404);
    });

    it('schedules, pauses, resumes, deletes (softly) and lists', async () => {
      const { sourceId, pipelineId } = await givenPipeline('life-src');
      const scheduled = await call('PUT', `/v1/pipelines/${pipelineId}/schedule`, { schedule: '*/5 * * * *' });
      expect(scheduled.body.schedule).toBe('*/5 * * * *');
      expect((await call('PUT', `/v1/pipelines/${pipelineId}/schedule`, { schedule: 'every day' })).status).toBe(400);
      const cleared = await call('PUT', `/v1/pipelines/${pipelineId}/schedule`, { schedule: null });
      expect(cleared.body.schedule).toBeUndefined();
      expect((await call('POST', `/v1/pipelines/${pipelineId}/pause`)).body.status).toBe('paused');
      expect((await call('POST', `/v1/pipelines/${pipelineId}/pause`)).body.status).toBe('paused');
      expect((await call('POST', '/v1/runs', { pipelineId })).status).toBe(409);
      expect((await call('POST', `/v1/pipelines/${pipelineId}/resume`)).body.status).toBe('active');
      const listed = await call('GET', `/v1/pipelines?sourceId=${sourceId}`);
      expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([pipelineId]);
      expect((await call('DELETE', `/v1/pipelines/${pipelineId}`)).body.status).toBe('deleted');
      expect((await call('GET', `/v1/pipelines/${pipelineId}`)).status).toBe(404);
      expect((await call('DELETE', `/v1/pipelines/${pipelineId}`)).status).toBe(404);
      expect((await call('PUT', `/v1/pipelines/${pipelineId}/schedule`, { schedule: null })).status).toBe(404);
      expect((await call('GET', `/v1/pipelines?sourceId=${sourceId}`)).body.items).toEqual([]);
      expect((await call('GET', `/v1/pipelines?sourceId=${sourceId}&status=deleted`)).body.items).toHaveLength(1);
      expect(await gateway.store.pipelines.get(pipelineId)).toBeDefined();
    });
  });

  describe('runs', () => {
    it('starts a run: 202 with a new runId published on aoe.cmd.run.requested', async () => {
      const { pipelineId } = await givenPipeline('run-src');
      const res = await call('POST', '/v1/runs', { pipelineId }, { 'x-request-id': 'req-run' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ pipelineId, status: 'requested', runId: expect.any(String) });
      const message = await eventually(() => runRequests.find((m) => m.payload.runId === res.body.runId));
      expect(message.payload).toMatchObject({
        pipelineId,
        trigger: 'api',
        requestedBy: expect.stringMatching(/^key:/),
      });
      expect(message.envelope.correlationId).toBe(res.body.runId);
      expect((await call('POST', '/v1/runs', { pipelineId: 'missing' })).status).toBe(404);
      expect((await call('POST', '/v1/runs', { pipelineId, planVersion: 0 })).status).toBe(400);
    });

    it('reads a run with its task runs, lists runs, and cancels', async () => {
      const { pipelineId } = await givenPipeline('status-src');
      const run = await gateway.store.runs.create({ pipelineId, trigger: 'api' });
      await gateway.store.runs.updateStatus(run.id, 'running');
      await gateway.store.taskRuns.upsert({ runId: run.id, taskId: 'extract', status: 'running', attempt: 1 });
      const got = await call('GET', `/v1/runs/${run.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        id: run.id,
        status: 'running',
        tasks: [{ taskId: 'extract', status: 'running' }],
      });
      expect((await call('GET', '/v1/runs/missing')).status).toBe(404);

      const listed = await call('GET', `/v1/runs?pipelineId=${pipelineId}&status=running`);
      expect(listed.body).toMatchObject({ items: [{ id: run.id }], nextCursor: null });
      expect((await call('GET', '/v1/runs?status=sideways')).status).toBe(400);

      const cancel = await call('POST', `/v1/runs/${run.id}/cancel`, { reason: 'wrong data' });
      expect(cancel.status).toBe(202);
      expect(await eventually(() => cancels.find((c) => c.runId === run.id))).toEqual({
        runId: run.id,
        reason: 'wrong data',
      });
      // Without a body; and a run the dispatcher has not recorded yet may still be cancelled.
      expect((await call('POST', '/v1/runs/not-yet-recorded/cancel')).status).toBe(202);
      await gateway.store.runs.updateStatus(run.id, 'succeeded');
      expect((await call('POST', `/v1/runs/${run.id}/cancel`)).status).toBe(409);
    });
  });

  describe('alerts and decisions', () => {
    it('lists and acknowledges alerts', async () => {
      await gateway.store.alerts.record(alertOf('alert-1', 'pipe-x'));
      const open = await call('GET', '/v1/alerts?open=true&pipelineId=pipe-x');
      expect(open.body.items.map((a: { id: string }) => a.id)).toEqual(['alert-1']);
      const ack = await call('POST', '/v1/alerts/alert-1/acknowledge');
      expect(ack.status).toBe(200);
      expect(ack.body.acknowledgedAt).toEqual(expect.any(String));
      expect((await call('GET', '/v1/alerts?open=true&pipelineId=pipe-x')).body.items).toEqual([]);
      expect((await call('GET', '/v1/alerts?open=maybe')).status).toBe(400);
      expect((await call('POST', '/v1/alerts/missing/acknowledge')).status).toBe(404);
    });

    it('lists decisions by subject and by run', async () => {
      await gateway.store.decisions.record(decisionOf('dec-a', 'subject-a', 'run-a'));
      await gateway.store.decisions.record(decisionOf('dec-b', 'subject-b', 'run-b'));
      const bySubject = await call('GET', '/v1/decisions?subjectId=subject-a');
      expect(bySubject.body.items.map((d: { id: string }) => d.id)).toEqual(['dec-a']);
      const byRun = await call('GET', '/v1/decisions?runId=run-b&agent=planner');
      expect(byRun.body.items.map((d: { id: string }) => d.id)).toEqual(['dec-b']);
    });
  });

  describe('dead letters', () => {
    it('replays a dead letter onto its subject, where its consumer handles it; once unless forced', async () => {
      const alert = alertOf('alert-replay', 'pipe-r');
      const { envelope } = await gateway.bus.publish(Messages.AlertRaised, alert, { correlationId: 'corr-r' });
      const letters = await eventually(async () => {
        const page = await call('GET', '/v1/dead-letters?service=replay-probe&replayed=false');
        return page.body.items.length > 0 ? page.body.items : undefined;
      });
      const letter = letters[0];
      expect(letter.deadLetter).toMatchObject({ originalSubject: 'aoe.evt.alert.raised', kind: 'handler-failed' });

      expect((await api(gateway, gateway.keys.write)('POST', `/v1/dead-letters/${letter.id}/replay`)).status).toBe(403);
      const replay = await call('POST', `/v1/dead-letters/${letter.id}/replay`);
      expect(replay.status).toBe(202);
      expect(replay.body).toMatchObject({ id: letter.id, subject: 'aoe.evt.alert.raised', duplicate: false });
      const handled = await eventually(() => alertDeliveries.find((m) => m.envelope.causationId === envelope.id));
      expect(handled.payload).toEqual(alert);
      expect(handled.envelope.correlationId).toBe('corr-r');

      expect((await call('POST', `/v1/dead-letters/${letter.id}/replay`)).status).toBe(409);
      const forced = await call('POST', `/v1/dead-letters/${letter.id}/replay?force=true`);
      expect(forced.status).toBe(202);
      expect(forced.body.messageId).not.toBe(replay.body.messageId);
      expect((await call('GET', '/v1/dead-letters?replayed=true')).body.items.map((l: any) => l.id)).toContain(
        letter.id,
      );
    });

    it('refuses to replay a message that still breaks its contract, or is unknown', async () => {
      const base = {
        service: 'planner',
        originalEncoding: 'utf-8' as const,
        originalHeaders: {},
        reason: 'schema validation failed',
        kind: 'invalid-message' as const,
        attempts: 1,
        failedAt: new Date().toISOString(),
      };
      await gateway.store.deadLetters.record(
        { ...base, originalSubject: 'aoe.evt.source.profiled', originalData: '{"x":1}' },
        'bad-1',
      );
      await gateway.store.deadLetters.record(
        { ...base, originalSubject: 'aoe.evt.source.profiled', originalData: 'not json' },
        'bad-2',
      );
      await gateway.store.deadLetters.record({ ...base, originalSubject: 'aoe.nowhere', originalData: '{}' }, 'bad-3');
      await gateway.store.deadLetters.record(
        {
          ...base,
          originalSubject: 'aoe.cmd.run.cancel',
          originalEncoding: 'base64',
          originalData: Buffer.from('[]').toString('base64'),
        },
        'bad-4',
      );
      for (const id of ['bad-1', 'bad-2', 'bad-3', 'bad-4']) {
        const res = await call('POST', `/v1/dead-letters/${id}/replay`);
        expect([id, res.status]).toEqual([id, 422]);
      }
      expect((await call('POST', '/v1/dead-letters/missing/replay')).status).toBe(404);
    });
  });

  describe('API keys and audit', () => {
    it('creates a key shown once, lists keys without secrets, revokes it', async () => {
      const created = await call('POST', '/v1/admin/api-keys', { name: 'ci', scope: 'read' });
      expect(created.status).toBe(201);
      expect(created.body.key).toMatch(/^aoe_[a-f0-9]{16}_/);
      expect(created.body.secretHash).toBeUndefined();
      expect((await api(gateway, created.body.key)('GET', '/v1/runs')).status).toBe(200);
      const listed = await call('GET', '/v1/admin/api-keys?revoked=false&limit=500');
      expect(listed.text).not.toContain(created.body.key.slice(22));
      expect(listed.text).not.toContain('secretHash');
      expect(listed.body.items.map((k: { id: string }) => k.id)).toContain(created.body.id);
      const revoked = await call('DELETE', `/v1/admin/api-keys/${created.body.id}`);
      expect(revoked.body.revokedAt).toEqual(expect.any(String));
      expect((await api(gateway, created.body.key)('GET', '/v1/runs')).status).toBe(401);
      expect((await call('DELETE', '/v1/admin/api-keys/missing')).status).toBe(404);
      expect((await call('POST', '/v1/admin/api-keys', { name: 'x', scope: 'root' })).status).toBe(400);
      expect(gateway.logs.join('\n')).not.toContain(created.body.key);
    });

    it('audits every write, with who, what, when and the result', async () => {
      await call('POST', '/v1/alerts/audited-missing/acknowledge');
      await api(gateway, gateway.keys.read)('POST', '/v1/runs', { pipelineId: 'x' });
      const records = (await gateway.store.audit.list({ limit: 500 })).items;
      expect(records).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'POST /v1/alerts/:id/acknowledge',
            target: 'audited-missing',
            result: 'failed',
            statusCode: 404,
            actor: expect.stringMatching(/^key:/),
          }),
          expect.objectContaining({ action: 'POST /v1/runs', result: 'denied', statusCode: 403 }),
          expect.objectContaining({ action: 'POST /v1/sources', result: 'succeeded', statusCode: 202 }),
        ]),
      );
      expect(records.some((r) => r.action.startsWith('GET'))).toBe(false);
    });
  });
});
