import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '@aoe/contracts';
import { setupTelemetry } from '@aoe/telemetry';
import { MonitorConfig } from '../monitor-config';
import { retryableStatus, WebhookNotifier } from './webhook.notifier';

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/** A real HTTP server on 127.0.0.1 answering with the scripted statuses, then 200. */
async function startReceiver(
  statuses: number[],
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/aoe`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SECRET = 'tok-9f8e7d6c5b4a';
const alert: Alert = {
  id: 'a1',
  pipelineId: 'orders',
  runId: 'r31',
  kind: 'volume-drop',
  severity: 'critical',
  message: 'Volume dropped',
  evidence: { value: 10, median: 100 },
  at: '2026-03-02T06:00:00.000Z',
};

const telemetry = setupTelemetry('monitor-webhook-spec', { logger: { level: 'silent' } });
const notifier = (url: string | undefined, maxAttempts = 5) =>
  new WebhookNotifier(
    new MonitorConfig(undefined, { url, maxAttempts, initialDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 }),
    telemetry,
  );

describe('alert webhook', () => {
  it('retries a receiver that fails twice, then delivers the alert and nothing else', async () => {
    const receiver = await startReceiver([503, 500]);
    try {
      const url = `${receiver.url}?token=${SECRET}`;
      process.env.AOE_TEST_WEBHOOK_SECRET = SECRET;
      const result = await notifier(url).deliver(alert);
      expect(result).toEqual({ outcome: 'delivered', attempts: 3 });
      expect(receiver.received).toHaveLength(3);
      const last = receiver.received[2];
      expect(JSON.parse(last.body)).toEqual(alert);
      expect(last.headers['content-type']).toBe('application/json');
      for (const { body, headers } of receiver.received) {
        expect(body).not.toContain(SECRET);
        expect(body).not.toContain('token');
        expect(JSON.stringify(headers)).not.toContain(SECRET);
      }
    } finally {
      delete process.env.AOE_TEST_WEBHOOK_SECRET;
      await receiver.close();
    }
  });

  it('strips anything that is not an Alert field', async () => {
    const receiver = await startReceiver([]);
    try {
      const sneaky = { ...alert, webhookUrl: receiver.url, apiKey: SECRET } as unknown as Alert;
      expect(await notifier(receiver.url).deliver(sneaky)).toEqual({ outcome: 'delivered', attempts: 1 });
      expect(JSON.parse(receiver.received[0]?.body ?? '')).toEqual(alert);
      expect(receiver.received[0]?.body).not.toContain(SECRET);
    } finally {
      await receiver.close();
    }
  });

  it('stops at once on an answer that will not change, and gives up after its attempts', async () => {
    const refusing = await startReceiver([400]);
    const broken = await startReceiver([500, 500, 500, 500]);
    try {
      expect(await notifier(refusing.url).deliver(alert)).toEqual({ outcome: 'failed', attempts: 1 });
      expect(await notifier(broken.url, 3).deliver(alert)).toEqual({ outcome: 'failed', attempts: 3 });
      expect(broken.received).toHaveLength(3);
    } finally {
      await refusing.close();
      await broken.close();
    }
  });

  it('retries a receiver that is not there, and is off without a URL', async () => {
    const gone = await startReceiver([]);
    await gone.close();
    expect(await notifier(gone.url, 2).deliver(alert)).toEqual({ outcome: 'failed', attempts: 2 });
    expect(await notifier(undefined).deliver(alert)).toEqual({ outcome: 'disabled', attempts: 0 });
  });

  it('backs off exponentially with jitter up to its cap', () => {
    const n = new WebhookNotifier(
      new MonitorConfig(undefined, { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 300, timeoutMs: 1_000 }),
      telemetry,
    );
    expect(n.backoff(1)).toBeGreaterThanOrEqual(80);
    expect(n.backoff(1)).toBeLessThanOrEqual(120);
    expect(n.backoff(2)).toBeGreaterThanOrEqual(160);
    expect(n.backoff(6)).toBeLessThanOrEqual(360);
    expect([408, 425, 429, 500, 503].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410].some(retryableStatus)).toBe(false);
  });
});

describe('monitor configuration', () => {
  it('reads the webhook and detection settings from the environment', () => {
    const config = MonitorConfig.fromEnvironment({
      AOE_ALERT_WEBHOOK_URL: 'https://hooks.example.com/aoe',
      AOE_ALERT_WEBHOOK_ATTEMPTS: '3',
      AOE_MONITOR_MIN_HISTORY: '12',
      AOE_MONITOR_FRESHNESS_CHECK_MS: '0',
    });
    expect(config.webhook).toMatchObject({ url: 'https://hooks.example.com/aoe', maxAttempts: 3 });
    expect(config.detection.minHistory).toBe(12);
    expect(config.freshnessCheckMs).toBe(0);
    expect(MonitorConfig.fromEnvironment({}).webhook.url).toBeUndefined();
  });

  it('names the bad variable without repeating its value', () => {
    expect(() => MonitorConfig.fromEnvironment({ AOE_ALERT_WEBHOOK_URL: `ftp://x/${SECRET}` })).toThrow(
      /AOE_ALERT_WEBHOOK_URL/,
    );
    try {
      MonitorConfig.fromEnvironment({ AOE_ALERT_WEBHOOK_URL: `ftp://x/${SECRET}` });
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
    expect(() => MonitorConfig.fromEnvironment({ AOE_MONITOR_MIN_HISTORY: '1' })).toThrow(/AOE_MONITOR_MIN_HISTORY/);
  });
});
