import { Messages } from '@aoe/contracts';
import { Metrics, createLogger } from '@aoe/telemetry';
import { deleteTestStreams, testNatsUrl, uniqueName } from '@aoe/testing';
import { JetStreamBus, telemetryObserver } from '../src';
import { waitFor } from './bus-contract';

describe('jetstream: consumer lag (aoe_bus_consumer_pending_messages)', () => {
  let servers: string;
  let namespace: string;
  let bus: JetStreamBus;

  beforeAll(async () => {
    servers = await testNatsUrl();
    namespace = uniqueName('lag');
  });
  afterAll(async () => {
    await bus?.close();
    await deleteTestStreams(servers, namespace);
  });

  it('reports how many messages are left for the consumer as it takes each one, down to 0', async () => {
    const metrics = new Metrics('lag-test');
    bus = await JetStreamBus.connect({
      servers,
      namespace,
      observer: telemetryObserver(metrics, createLogger('lag-test', { level: 'silent' })),
    });
    for (let n = 0; n < 5; n++) {
      await bus.publish(
        Messages.RunRequested,
        { runId: `run-${n}`, pipelineId: 'p', trigger: 'manual' },
        { correlationId: `run-${n}` },
      );
    }

    const lagSeen: number[] = [];
    let handled = 0;
    const handle = await bus.subscribe({
      service: 'lag-test',
      definitions: [Messages.RunRequested],
      concurrency: 1,
      handler: async () => {
        const gauge = await metrics.bus.consumerPending.get();
        lagSeen.push(gauge.values.find((v) => v.labels.service === 'lag-test')?.value ?? -1);
        handled++;
      },
    });
    await waitFor(() => handled === 5, 20_000, 'five messages handled');

    expect(lagSeen[0]).toBeGreaterThan(0);
    expect(lagSeen.at(-1)).toBe(0);
    expect([...lagSeen].sort((a, b) => b - a)).toEqual(lagSeen); // never grows while nothing new arrives
    expect(await metrics.exposition()).toContain(
      `aoe_bus_consumer_pending_messages{service="lag-test",consumer="${handle.consumerName}"} 0`,
    );
  });
});
