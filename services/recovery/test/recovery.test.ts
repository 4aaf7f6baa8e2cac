import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { Messages, type DeadLetter } from '@aoe/contracts';
import { JetStreamBus, Namespace, uuidFromText } from '@aoe/messaging';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { RecoveryModule } from '../src';
import { eventually, failedRun, pipelineOn, publishFailed, record } from './fixtures';

process.env.AOE_RECOVERY_BASE_DELAY_MS = '100';
process.env.AOE_RECOVERY_MAX_DELAY_MS = '1000';
process.env.AOE_RECOVERY_CIRCUIT_COOLDOWN_MS = '5000';
process.env.AOE_RECOVERY_CIRCUIT_FAILURES = '3';

const network = {
  class: 'transient-network' as const,
  message: 'read ECONNRESET',
  code: 'ECONNRESET',
  retryable: true,
};

describe('recovery on NATS and PostgreSQL, two replicas', () => {
  let mesh: TestMesh;
  let one: Awaited<ReturnType<TestMesh['start']>>;
  let commands: Awaited<ReturnType<typeof record>>;
  let alerts: Awaited<ReturnType<typeof record>>;
  let analyses: Awaited<ReturnType<typeof record>>;

  beforeAll(async () => {
    mesh = await createTestMesh('recovery');
    one = await mesh.start('recovery', [RecoveryModule]);
    await mesh.start('recovery', [RecoveryModule]);
    const { bus } = one.platform;
    commands = await record(bus, 'aoe.cmd.recovery.>', [Messages.RecoveryRetry, Messages.RecoveryPausePipeline]);
    alerts = await record(bus, 'aoe.evt.alert.raised', [Messages.AlertRaised]);
    analyses = await record(bus, 'aoe.cmd.source.analyze', [Messages.AnalyzeSource]);
  });
  afterAll(async () => {
    await mesh.stop();
  });

  const about = (runId: string, list: typeof commands) => list.filter((c) => c.payload.runId === runId);

  it('acts once on a failure that reaches both replicas twice: one claim, one decision, one retry', async () => {
    const { store, bus } = one.platform;
    const { pipelineId } = await pipelineOn(store);
    const { runId, event } = await failedRun(store, pipelineId, { taskId: 'extract', error: network });
    await publishFailed(bus, event, 4);

    const [retry] = await eventually(
      () => (about(runId, commands).length ? about(runId, commands) : undefined),
      'retry',
    );
    expect(retry.type).toBe('recovery.retry');
    expect(retry.payload).toMatchObject({ runId, pipelineId, taskId: 'extract', attempt: 1, action: 'retry' });
    expect(retry.payload.delayMs).toBeGreaterThanOrEqual(0);
    expect(retry.payload.delayMs).toBeLessThanOrEqual(100);

    const decisions = await eventually(async () => {
      const page = await store.decisions.list({ subjectId: pipelineId });
      return page.items.length ? page.items : undefined;
    }, 'the decision');
    // Give the other deliveries time to be handled; they must change nothing.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(about(runId, commands)).toHaveLength(1);
    expect((await store.decisions.list({ subjectId: pipelineId })).items).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      agent: 'recovery',
      correlationId: runId,
      decidedBy: 'rules',
      accepted: true,
      choice: { action: 'retry', failureClass: 'transient-network' },
    });
    expect(decisions[0].choice.evidence).toMatchObject({ classifiedBy: 'error-class', code: 'ECONNRESET', attempt: 1 });
    expect(retry.payload.decisionId).toBe(decisions[0].id);

    const claims = await eventually(async () => {
      const rows = await store.recoveryActions.listByRun(runId);
      return rows[0]?.action ? rows : undefined;
    }, 'the decided claim');
    expect(claims).toEqual([
      expect.objectContaining({ taskId: 'extract', attempt: 1, action: 'retry', decisionId: decisions[0].id }),
    ]);
  });

  it('pauses on an auth failure with a critical alert and never retries', async () => {
    const { store, bus } = one.platform;
    const { pipelineId } = await pipelineOn(store);
    const auth = { class: 'auth' as const, message: 'password authentication failed', code: '28P01', retryable: false };
    const { runId, event } = await failedRun(store, pipelineId, { taskId: 'load', error: auth });
    await publishFailed(bus, event, 2);

    const [pause] = await eventually(
      () => (about(runId, commands).length ? about(runId, commands) : undefined),
      'pause',
    );
    expect(pause).toMatchObject({ type: 'recovery.pause-pipeline', payload: { pipelineId, runId } });
    const [alert] = await eventually(() => (about(runId, alerts).length ? about(runId, alerts) : undefined), 'alert');
    expect(alert.payload).toMatchObject({
      pipelineId,
      runId,
      kind: 'needs-attention',
      severity: 'critical',
      evidence: { action: 'pause', failureClass: 'auth', decisionId: pause.payload.decisionId },
    });
    expect(alert.payload.message).toMatch(/credentials were refused/);
    // Commands and alerts are published inside the transaction that records them: the row commits right after.
    expect(await eventually(() => store.alerts.get(alert.payload.id), 'the stored alert')).toMatchObject({
      kind: 'needs-attention',
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(about(runId, commands).map((c) => c.type)).toEqual(['recovery.pause-pipeline']);
  });

  it('publishes the alert of a failure whose alert was recorded by an attempt that then failed to publish it', async () => {
    const { store, bus } = one.platform;
    const { pipelineId } = await pipelineOn(store);
    const auth = { class: 'auth' as const, message: 'password authentication failed', code: '28P01', retryable: false };
    const { runId, event } = await failedRun(store, pipelineId, { taskId: 'load', error: auth });
    // What an earlier attempt left: the alert row (its id derives from run, task and attempt), no event, no claim.
    const id = uuidFromText(`recovery|alert|${runId}|load|1`);
    await store.alerts.record({
      id,
      pipelineId,
      runId,
      kind: 'needs-attention',
      severity: 'critical',
      message: 'recorded before the bus went away',
      evidence: {},
      at: new Date().toISOString(),
    });
    await publishFailed(bus, event);

    const [alert] = await eventually(() => (about(runId, alerts).length ? about(runId, alerts) : undefined), 'alert');
    expect(alert.payload).toMatchObject({ id, pipelineId, runId, kind: 'needs-attention' });
  });

  it('gives up after the last attempt: the run stays failed, the pipeline is paused, a run-failed alert says why', async () => {
    const { store, bus } = one.platform;
    const { pipelineId } = await pipelineOn(store);
    const { runId, event } = await failedRun(store, pipelineId, { taskId: 'extract', error: network, attempt: 5 });
    await publishFailed(bus, event);

    const [pause] = await eventually(
      () => (about(runId, commands).length ? about(runId, commands) : undefined),
      'pause',
    );
    expect(pause.type).toBe('recovery.pause-pipeline');
    expect(pause.payload.reason).toMatch(/gave up: 5 of 5 attempts failed, the last as transient-network/);
    const [alert] = await eventually(() => (about(runId, alerts).length ? about(runId, alerts) : undefined), 'alert');
    expect(alert.payload).toMatchObject({
      kind: 'run-failed',
      severity: 'critical',
      evidence: { attempt: 5, maxAttempts: 5 },
    });
    expect((await store.runs.get(runId))?.status).toBe('failed');
  });

  it('re-plans after schema drift through the analysis command the gateway uses', async () => {
    const { store, bus } = one.platform;
    const { pipelineId, sourceId } = await pipelineOn(store);
    const drift = {
      class: 'schema-drift' as const,
      message: 'column "amount" does not exist',
      code: '42703',
      retryable: false,
    };
    const { runId, event } = await failedRun(store, pipelineId, { taskId: 'load', error: drift });
    await publishFailed(bus, event);

    const analysis = await eventually(() => analyses.find((a) => a.correlationId === runId), 'the analysis command');
    expect(analysis.payload).toMatchObject({ sourceId, pipeline: { pipelineId } });
    const [alert] = await eventually(() => (about(runId, alerts).length ? about(runId, alerts) : undefined), 'alert');
    expect(alert.payload).toMatchObject({ kind: 'schema-drift', severity: 'warning', evidence: { action: 'replan' } });
    expect(about(runId, commands)).toHaveLength(0);
  });

  it('opens the circuit of a source failing again and again, defers its runs, and closes it on a success', async () => {
    const { store, bus } = one.platform;
    const { pipelineId, sourceId } = await pipelineOn(store);
    const other = await pipelineOn(store, sourceId);
    const timeout = { class: 'timeout' as const, message: 'read timed out', code: 'ETIMEDOUT', retryable: true };
    const runs: string[] = [];
    for (const p of [pipelineId, other.pipelineId, pipelineId]) {
      const { runId, event } = await failedRun(store, p, { taskId: 'extract', error: timeout });
      runs.push(runId);
      await publishFailed(bus, event);
      await eventually(() => (about(runId, commands).length ? true : undefined), `the action on ${runId}`);
    }
    const actions = runs.map((r) => String(about(r, commands)[0].payload.action));
    expect(actions).toEqual(['retry', 'retry', 'open-circuit']);
    const opening = about(runs[2], commands)[0].payload;
    expect(opening.delayMs).toBe(5_000);
    const circuit = await eventually(async () => {
      const c = await store.circuits.get(sourceId);
      return c.state === 'open' ? c : undefined;
    }, 'the open circuit');
    expect(circuit).toMatchObject({ state: 'open', trips: 1 });

    // A run of any pipeline on the source refused meanwhile waits until the circuit is half-open.
    const refused = await failedRun(store, other.pipelineId, {
      taskId: 'extract',
      error: { class: 'transient-network', code: 'CIRCUIT_OPEN', message: 'circuit is open', retryable: true },
    });
    await publishFailed(bus, refused.event);
    const [deferred] = await eventually(
      () => (about(refused.runId, commands).length ? about(refused.runId, commands) : undefined),
      'the deferred retry',
    );
    expect(deferred.payload.action).toBe('retry');
    expect(deferred.payload.delayMs).toBeGreaterThan(2_000);
    expect(deferred.payload.delayMs).toBeLessThanOrEqual(5_100);

    await bus.publish(
      Messages.RunSucceeded,
      { runId: runs[2], pipelineId, status: 'succeeded', at: new Date().toISOString() },
      { correlationId: runs[2] },
    );
    await eventually(
      async () => ((await store.circuits.get(sourceId)).state === 'closed' ? true : undefined),
      'closed',
    );
  });

  it('dead-letters a run.failed event that breaks its contract, with the reason', async () => {
    const { bus } = one.platform;
    const letters = await record(bus, 'aoe.dlq.>', [Messages.DeadLettered]);
    const bad = {
      id: randomUUID(),
      type: 'run.failed',
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'bad',
      payload: { runId: 'r', status: 'failed', at: 'yesterday' },
    };
    await jetstream((bus as JetStreamBus).nats).publish(
      new Namespace(mesh.namespace).subject('aoe.evt.run.failed'),
      new TextEncoder().encode(JSON.stringify(bad)),
    );
    const letter = await eventually(
      () => letters.map((l) => l.payload as DeadLetter).find((l) => l.service === 'recovery'),
      'the dead letter',
    );
    expect(letter).toMatchObject({ kind: 'invalid-message', originalSubject: 'aoe.evt.run.failed' });
    expect(letter.reason).toMatch(/run\.failed.*(pipelineId|at)/);
  });
});
