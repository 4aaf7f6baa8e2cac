import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Messages, type Alert, type AgentDecision, type RunEvent, type SourceProfile } from '@aoe/contracts';
import { uuidFromText, type InboundMessage } from '@aoe/messaging';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import type { Store } from '@aoe/store';
import { seededRandom } from '@aoe/testing';
import { MonitorModule } from '../src';
import { FreshnessTimer } from '../src/freshness.timer';
import { MonitorConfig } from '../src/monitor-config';
import { CheckFreshnessUseCase } from '../src/usecases/check-freshness/check-freshness.usecase';
import { ForwardAlertUseCase } from '../src/usecases/forward-alert/forward-alert.usecase';
import { RaiseAlertUseCase } from '../src/usecases/raise-alert/raise-alert.usecase';
import { RecordRunEventUseCase } from '../src/usecases/record-run-event/record-run-event.usecase';
import { normal } from './fixtures/runs';

const HOUR = 3_600_000;
const START = Date.parse('2026-03-01T00:00:00.000Z');
const SECRET = 'hook-token-5e1f0c';

const profileOf = (sourceId: string, columns: SourceProfile['columns']): SourceProfile => ({
  sourceId,
  kind: 'postgres',
  profiledAt: new Date().toISOString(),
  columns,
  primaryKeyCandidates: [['id']],
  primaryKeyConfirmed: true,
  cursorCandidates: [],
  rowCountEstimate: 100_000,
  sampleSize: 10_000,
  durationMs: 10,
});
const column = (name: string, type: SourceProfile['columns'][number]['type'], nullRate: number) => ({
  name,
  type,
  nullable: nullRate > 0,
  nullRate,
  distinctEstimate: 1000,
  piiHints: [],
});
const NORMAL_COLUMNS = [column('id', 'bigint', 0), column('email', 'string', 0.02), column('amount', 'decimal', 0.001)];

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('monitor on NATS and PostgreSQL', () => {
  let mesh: TestMesh;
  let monitor: Awaited<ReturnType<TestMesh['start']>>;
  let server: Server;
  const hooks: string[] = [];
  const raised: Array<InboundMessage<Alert>> = [];
  let sourceId = '';
  const random = seededRandom('monitor-e2e');
  let runs = 0;

  /** Publishes the next hourly run's succeeded event and waits for its statistics. */
  async function nextRun(pipelineId: string, volume = 1): Promise<string> {
    const { store, bus } = monitor.platform;
    const runId = `${pipelineId}-run-${String(runs).padStart(3, '0')}`;
    const rows = Math.round(100_000 * Math.exp(0.08 * normal(random)) * volume);
    const event: RunEvent = {
      runId,
      pipelineId,
      status: 'succeeded',
      at: new Date(START + runs * HOUR).toISOString(),
      stats: {
        rowsRead: rows,
        rowsLoaded: rows,
        rowsQuarantined: 0,
        bytes: rows * 120,
        durationMs: Math.round(60_000 * Math.exp(0.1 * normal(random))),
      },
    };
    runs++;
    await bus.publish(Messages.RunSucceeded, event, { correlationId: runId });
    await until(() => store.runStats.get(runId), `run_stats of ${runId}`);
    return runId;
  }
  const alertsOf = async (store: Store, pipelineId: string) =>
    (await store.alerts.list({ pipelineId, limit: 500 })).items;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push(Buffer.concat(chunks).toString('utf8'));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    process.env.AOE_ALERT_WEBHOOK_URL = `http://127.0.0.1:${port}/alerts?token=${SECRET}`;
    process.env.AOE_MONITOR_FRESHNESS_CHECK_MS = '0';
    mesh = await createTestMesh('mon');
    monitor = await mesh.start('monitor', [MonitorModule]);
    await monitor.platform.bus.subscribe({
      service: 'alert-probe',
      definitions: [Messages.AlertRaised],
      handler: async (m) => {
        raised.push(m);
      },
    });
    const { store } = monitor.platform;
    const source = await store.sources.create({
      spec: { kind: 'file', path: `${randomUUID()}.csv`, format: 'auto', compression: 'auto' },
    });
    sourceId = source.id;
    await store.profiles.record(profileOf(sourceId, NORMAL_COLUMNS));
    await store.pipelines.create({
      id: 'orders',
      sourceId,
      name: 'orders',
      target: { kind: 'warehouse', table: { schema: 'public', name: 'orders' } },
    });
  });
  afterAll(async () => {
    delete process.env.AOE_ALERT_WEBHOOK_URL;
    delete process.env.AOE_MONITOR_FRESHNESS_CHECK_MS;
    await mesh.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('records 30 normal runs and raises nothing', async () => {
    const { store } = monitor.platform;
    for (let i = 0; i < 30; i++) await nextRun('orders');
    const stats = (await store.runStats.list({ pipelineId: 'orders', limit: 100 })).items;
    expect(stats).toHaveLength(30);
    expect(stats[0]).toMatchObject({
      pipelineId: 'orders',
      status: 'succeeded',
      attempts: 1,
      retries: 0,
      columns: [
        { name: 'id', type: 'bigint', nullRate: 0, sampleSize: 10_000 },
        { name: 'email', type: 'string', nullRate: 0.02, sampleSize: 10_000 },
        { name: 'amount', type: 'decimal', nullRate: 0.001, sampleSize: 10_000 },
      ],
    });
    expect(stats[0]?.schemaFingerprint).toMatch(/^[a-f0-9]{64}$/);
    expect(stats[0]?.rowsPerSecond).toBeCloseTo(
      (stats[0]?.rowsLoaded as number) / ((stats[0]?.durationMs as number) / 1000),
      6,
    );
    expect(await alertsOf(store, 'orders')).toEqual([]);
  });

  it('flags a 90% volume drop: recorded, published, POSTed, decided with evidence', async () => {
    const { store } = monitor.platform;
    const runId = await nextRun('orders', 0.1);
    const alert = await until(
      async () => (await alertsOf(store, 'orders')).find((a) => a.runId === runId),
      'the volume-drop alert',
    );
    expect(alert).toMatchObject({ kind: 'volume-drop', severity: 'critical', pipelineId: 'orders' });
    expect(alert.evidence).toMatchObject({ metric: 'rowsRead', history: 30 });

    const published = await until(() => raised.find((m) => m.payload.id === alert.id), 'aoe.evt.alert.raised');
    expect(published.envelope.correlationId).toBe(runId);
    const { acknowledgedAt: _, ...contractFields } = alert;
    expect(published.payload).toEqual(contractFields);

    const hook = await until(() => hooks.find((h) => h.includes(alert.id)), 'the webhook');
    expect(JSON.parse(hook)).toEqual(contractFields);
    expect(hook).not.toContain(SECRET);

    const decisions = (await store.decisions.list({ subjectId: 'orders', agent: 'monitor' })).items;
    const decision = decisions.find((d) => d.id === alert.evidence.decisionId) as AgentDecision;
    expect(decision).toMatchObject({ decidedBy: 'rules', accepted: true, correlationId: runId });
    expect(decision.choice).toMatchObject({ raise: true, kind: 'volume-drop', runId, evidence: { history: 30 } });
  });

  it('raises one alert per (pipeline, kind, run) however often the event comes', async () => {
    const { store, bus } = monitor.platform;
    const dropped = (await alertsOf(store, 'orders')).find((a) => a.kind === 'volume-drop') as Alert;
    const original = await store.runStats.get(dropped.runId as string);
    await bus.publish(
      Messages.RunSucceeded,
      {
        runId: dropped.runId as string,
        pipelineId: 'orders',
        status: 'succeeded',
        at: original?.finishedAt as string,
        stats: { rowsRead: 1, rowsLoaded: 1, rowsQuarantined: 0, bytes: 1, durationMs: 1 },
      },
      { correlationId: dropped.runId as string },
    );
    const useCase = monitor.app.get(RecordRunEventUseCase);
    const again = await useCase.execute({
      runId: dropped.runId as string,
      pipelineId: 'orders',
      status: 'succeeded',
      at: original?.finishedAt as string,
      messageId: randomUUID(),
      correlationId: dropped.runId as string,
    });
    expect(again).toMatchObject({ status: 'repeated', alerts: [{ status: 'duplicate', alertId: dropped.id }] });
    expect(again.status !== 'counted' && again.stats.rowsRead).toBe(original?.rowsRead);
    expect((await alertsOf(store, 'orders')).filter((a) => a.kind === 'volume-drop')).toHaveLength(1);
  });

  it('flags a null-rate jump and then schema drift from the source profile', async () => {
    const { store } = monitor.platform;
    await store.profiles.record(
      profileOf(sourceId, [
        column('id', 'bigint', 0),
        column('email', 'string', 0.4),
        column('amount', 'decimal', 0.001),
      ]),
    );
    const nullRun = await nextRun('orders');
    const jump = await until(
      async () => (await alertsOf(store, 'orders')).find((a) => a.runId === nullRun),
      'the null-rate alert',
    );
    expect(jump.kind).toBe('null-rate-jump');
    expect(jump.evidence.columns).toEqual([expect.objectContaining({ column: 'email', nullRate: 0.4 })]);

    await store.profiles.record(
      profileOf(sourceId, [column('id', 'string', 0), column('email', 'string', 0.02), column('country', 'string', 0)]),
    );
    const driftRun = await nextRun('orders');
    const drift = await until(
      async () => (await alertsOf(store, 'orders')).find((a) => a.runId === driftRun),
      'the schema-drift alert',
    );
    expect(drift).toMatchObject({ kind: 'schema-drift', severity: 'critical' });
    expect(drift.evidence).toMatchObject({
      added: [{ name: 'country' }],
      removed: [{ name: 'amount' }],
      retyped: [{ name: 'id', from: 'bigint', to: 'string' }],
      previousRunId: nullRun,
    });
  });

  it('flags a stale pipeline by the injected clock, once per stale period', async () => {
    const { store } = monitor.platform;
    const last = (await store.runStats.list({ pipelineId: 'orders', status: 'succeeded', limit: 1 })).items[0];
    const at = (hours: number) => ({ now: () => new Date(Date.parse(last?.finishedAt) + hours * HOUR) });
    const check = (hours: number) =>
      new CheckFreshnessUseCase(store, monitor.app.get(RaiseAlertUseCase), monitor.app.get(MonitorConfig), at(hours));

    expect(await check(1).execute()).toMatchObject({ alerts: [] });
    const stale = await check(5).execute({ pipelineIds: ['orders', 'unknown'] });
    expect(stale).toMatchObject({ checked: 1, alerts: [{ status: 'raised', alert: { kind: 'freshness' } }] });
    expect(stale.alerts[0]).toMatchObject({ alert: { runId: last?.runId, evidence: { basis: 'median gap' } } });
    expect(await check(6).execute()).toMatchObject({ alerts: [{ status: 'duplicate' }] });

    await store.pipelines.setSchedule('orders', '0 */12 * * *');
    expect((await check(6).execute()).alerts).toEqual([]);
    await store.pipelines.setSchedule('orders', null);
  });

  it('runs the freshness check on its timer without overlapping, and logs a failed check', async () => {
    const timer = monitor.app.get(FreshnessTimer);
    const first = timer.tick();
    expect(timer.tick()).toBe(first);
    await first;

    let calls = 0;
    const failing = {
      execute: () => {
        calls++;
        return Promise.reject(new Error('store down'));
      },
    } as unknown as CheckFreshnessUseCase;
    const fast = new FreshnessTimer(failing, new MonitorConfig(undefined, undefined, 20), monitor.platform.telemetry);
    fast.onApplicationBootstrap();
    await until(() => (calls >= 2 ? true : undefined), 'two timed checks');
    await fast.onModuleDestroy();
  });

  it('flags a pipeline trending towards its interval before it fails', async () => {
    const { store } = monitor.platform;
    await store.pipelines.create({
      id: 'slowing',
      sourceId,
      name: 'slowing',
      target: { kind: 'warehouse', table: { schema: 'public', name: 'slowing' } },
      schedule: '0 * * * *',
    });
    const useCase = monitor.app.get(RecordRunEventUseCase);
    let result: Awaited<ReturnType<RecordRunEventUseCase['execute']>> | undefined;
    for (let i = 0; i < 10; i++) {
      result = await useCase.execute({
        runId: `slowing-${i}`,
        pipelineId: 'slowing',
        status: 'succeeded',
        at: new Date(START + i * HOUR).toISOString(),
        stats: { rowsRead: 5000, rowsLoaded: 5000, rowsQuarantined: 0, bytes: 1, durationMs: (15 + 4 * i) * 60_000 },
        messageId: randomUUID(),
        correlationId: `slowing-${i}`,
      });
    }
    expect(result).toMatchObject({
      status: 'recorded',
      alerts: [{ status: 'raised', alert: { kind: 'failure-trend', runId: 'slowing-9', severity: 'warning' } }],
    });
  });

  it('takes what the event does not say from the stored run and its task runs', async () => {
    const { store } = monitor.platform;
    const run = await store.runs.create({ pipelineId: 'orders', trigger: 'schedule' });
    await store.runs.updateStatus(run.id, 'running', { at: '2026-03-05T10:00:00.000Z' });
    await store.runs.updateStatus(run.id, 'failed', {
      at: '2026-03-05T10:02:00.000Z',
      bytesMoved: 4096,
      error: { class: 'timeout', message: 'slow', retryable: true },
    });
    await store.taskRuns.upsert({ runId: run.id, taskId: 'extract', status: 'succeeded', attempt: 3 });
    await store.taskRuns.upsert({ runId: run.id, taskId: 'load', status: 'failed', attempt: 2 });
    const result = await monitor.app.get(RecordRunEventUseCase).execute({
      runId: run.id,
      pipelineId: 'orders',
      status: 'failed',
      at: '2026-03-05T10:02:00.000Z',
      error: { class: 'timeout', message: 'slow', retryable: true },
      messageId: randomUUID(),
      correlationId: run.id,
    });
    expect(result).toMatchObject({
      status: 'recorded',
      stats: { status: 'failed', durationMs: 120_000, bytes: 4096, attempts: 3, retries: 3, failedTasks: 1 },
    });
    expect(result.status !== 'counted' && result.stats.rowsRead).toBeUndefined();
  });

  it("POSTs another service's alert (recovery's) to the webhook once, and its own only when it raises them", async () => {
    const { bus } = monitor.platform;
    const recoveryAlert: Alert = {
      id: uuidFromText(`recovery|alert|orders-run-failed|load|3`),
      pipelineId: 'orders',
      runId: 'orders-run-failed',
      kind: 'needs-attention',
      severity: 'critical',
      message: 'Run orders-run-failed failed (auth, task "load", attempt 3): the credentials were refused.',
      evidence: { action: 'pause', failureClass: 'auth' },
      at: new Date(START).toISOString(),
    };
    // As recovery publishes it (its id is the alert's), twice: a republish, then a replica's with another message id.
    await bus.publish(Messages.AlertRaised, recoveryAlert, {
      correlationId: 'orders-run-failed',
      id: recoveryAlert.id,
    });
    await bus.publish(Messages.AlertRaised, recoveryAlert, { correlationId: 'orders-run-failed' });
    const hook = await until(() => hooks.find((h) => h.includes(recoveryAlert.id)), 'the forwarded alert');
    expect(JSON.parse(hook)).toEqual(recoveryAlert);

    const forward = monitor.app.get(ForwardAlertUseCase);
    expect(await forward.execute(recoveryAlert, 'aoe.evt.alert.raised')).toEqual({ status: 'duplicate' });
    expect(hooks.filter((h) => h.includes(recoveryAlert.id))).toHaveLength(1);

    // The monitor's own alerts come back to it on the bus too; it POSTed them when it raised them.
    const own = (await alertsOf(monitor.platform.store, 'orders')).find((a) => a.kind === 'volume-drop')!;
    const { acknowledgedAt: _, ...ownAlert } = own;
    expect(await forward.execute(ownAlert, 'aoe.evt.alert.raised')).toEqual({ status: 'own' });
    expect(hooks.filter((h) => h.includes(own.id))).toHaveLength(1);
  });

  it('counts runs, tasks, rows, durations, alerts and decisions on /metrics', async () => {
    const { bus } = monitor.platform;
    const task = {
      runId: 'orders-run-000',
      pipelineId: 'orders',
      taskId: 'extract',
      attempt: 1,
      at: new Date().toISOString(),
    };
    await bus.publish(
      Messages.RunStarted,
      { runId: 'm1', pipelineId: 'orders', status: 'started', at: task.at },
      { correlationId: 'm1' },
    );
    await bus.publish(Messages.TaskStarted, { ...task, status: 'started' }, { correlationId: 'm1' });
    await bus.publish(Messages.TaskProgress, { ...task, status: 'progress', rows: 5 }, { correlationId: 'm1' });
    await bus.publish(Messages.TaskSucceeded, { ...task, status: 'succeeded', rows: 10 }, { correlationId: 'm1' });
    await bus.publish(
      Messages.TaskFailed,
      { ...task, taskId: 'load', status: 'failed', error: { class: 'timeout', message: 'slow', retryable: true } },
      { correlationId: 'm1' },
    );
    await bus.publish(
      Messages.RunFailed,
      { runId: 'm1', pipelineId: 'orders', status: 'failed', at: task.at },
      { correlationId: 'm1' },
    );
    await bus.publish(
      Messages.RunCancelled,
      { runId: 'm2', pipelineId: 'orders', status: 'cancelled', at: task.at },
      { correlationId: 'm2' },
    );

    const metrics = await until(async () => {
      const text = await (await fetch(`${monitor.url}/metrics`)).text();
      return text.includes('aoe_tasks_total{status="failed"') &&
        text.includes('aoe_runs_total{status="cancelled"') &&
        text.includes('aoe_agent_decisions_total{agent="monitor"')
        ? text
        : undefined;
    }, 'the metrics');
    expect(metrics).toMatch(/aoe_runs_total\{status="succeeded",service="monitor"\} \d+/);
    expect(metrics).toMatch(/aoe_runs_total\{status="started"/);
    expect(metrics).toMatch(/aoe_tasks_total\{status="progress"/);
    expect(metrics).toMatch(/aoe_rows_total\{kind="read",service="monitor"\} \d+/);
    expect(metrics).toMatch(/aoe_run_duration_seconds_bucket\{le="60",service="monitor",status="succeeded"/);
    expect(metrics).toMatch(/aoe_alerts_total\{kind="volume-drop",severity="critical",service="monitor"\} 1/);
    expect(metrics).toMatch(/aoe_agent_decisions_total\{agent="monitor",decided_by="rules",accepted="true"/);
    expect(metrics).toMatch(/aoe_alert_webhook_deliveries_total\{outcome="delivered"/);
    const failed = await until(() => monitor.platform.store.runStats.get('m1'), 'the failed run');
    expect(failed).toMatchObject({ status: 'failed', pipelineId: 'orders' });
  });
});
