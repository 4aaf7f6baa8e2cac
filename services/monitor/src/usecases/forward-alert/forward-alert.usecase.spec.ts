import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '@aoe/contracts';
import { openStore, type Store } from '@aoe/store';
import { setupTelemetry } from '@aoe/telemetry';
import { WebhookNotifier } from '../../alerting/webhook.notifier';
import { MonitorMetrics } from '../../metrics/monitor.metrics';
import { MonitorConfig } from '../../monitor-config';
import { FORWARDER, ForwardAlertUseCase } from './forward-alert.usecase';

const recoveryAlert: Alert = {
  id: '0b8f3a52-5d1e-4f61-9a39-3f6d7d0c2a11',
  pipelineId: 'orders',
  runId: 'orders-run-7',
  kind: 'needs-attention',
  severity: 'critical',
  message: 'Run orders-run-7 failed (auth, task "load", attempt 3): the credentials were refused.',
  evidence: { action: 'pause' },
  at: '2026-11-26T08:00:00.000Z',
};

describe("forwarding another service's alert to the webhook", () => {
  let store: Store;
  let server: Server;
  let url: string;
  const posted: string[] = [];

  beforeAll(async () => {
    store = await openStore({ url: 'pglite://memory' });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posted.push(Buffer.concat(chunks).toString('utf8'));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  const forwarder = (webhookUrl: string | undefined) => {
    const telemetry = setupTelemetry('forward-alert-spec', { logger: { level: 'silent' } });
    const config = new MonitorConfig(undefined, {
      url: webhookUrl,
      maxAttempts: 2,
      initialDelayMs: 1,
      maxDelayMs: 5,
      timeoutMs: 2_000,
    });
    return new ForwardAlertUseCase(store, new WebhookNotifier(config, telemetry), new MonitorMetrics(telemetry));
  };

  it('without a webhook: nothing to deliver, and no claim taken', async () => {
    expect(await forwarder(undefined).execute(recoveryAlert, 'aoe.evt.alert.raised')).toEqual({
      status: 'forwarded',
      webhook: 'disabled',
    });
    expect(await store.inbox.has(FORWARDER, recoveryAlert.id)).toBe(false);
  });

  it('with one: the alert is POSTed once, whoever handles it again', async () => {
    const forward = forwarder(url);
    expect(await forward.execute(recoveryAlert, 'aoe.evt.alert.raised')).toEqual({
      status: 'forwarded',
      webhook: 'delivered',
    });
    expect(await store.inbox.has(FORWARDER, recoveryAlert.id)).toBe(true);
    expect(await forwarder(url).execute(recoveryAlert, 'aoe.evt.alert.raised')).toEqual({ status: 'duplicate' });
    expect(posted.map((body) => (JSON.parse(body) as Alert).id)).toEqual([recoveryAlert.id]);
  });
});
