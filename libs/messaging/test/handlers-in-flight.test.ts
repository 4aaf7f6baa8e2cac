import { Messages } from '@aoe/contracts';
import { Metrics, createLogger } from '@aoe/telemetry';
import { InProcessBroker, InProcessBus, NonRetryableError, telemetryObserver } from '../src';
import { waitUntil } from '@aoe/testing';

describe('aoe_bus_handlers_in_flight', () => {
  it('counts the messages being handled now, back to 0 when they end, failed or not', async () => {
    const metrics = new Metrics('in-flight-test');
    const bus = new InProcessBus(
      new InProcessBroker(),
      telemetryObserver(metrics, createLogger('in-flight-test', { level: 'silent' })),
    );
    const inFlight = async () =>
      (await metrics.bus.inFlight.get()).values.find(
        (v) => v.labels.service === 'in-flight-test' && v.labels.subject === Messages.RunRequested.subject,
      )?.value ?? 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let ended = 0;
    await bus.subscribe({
      service: 'in-flight-test',
      definitions: [Messages.RunRequested],
      concurrency: 3,
      handler: async ({ payload }) => {
        try {
          await gate;
          if ((payload as { runId: string }).runId === 'run-2') throw new NonRetryableError('refused');
        } finally {
          ended++;
        }
      },
    });
    for (let n = 0; n < 3; n++) {
      await bus.publish(
        Messages.RunRequested,
        { runId: `run-${n}`, pipelineId: 'p', trigger: 'manual' },
        { correlationId: `run-${n}` },
      );
    }
    await waitUntil(async () => ((await inFlight()) === 3 ? true : undefined), 'three handlers in flight');
    release();
    await waitUntil(() => (ended === 3 ? true : undefined), 'the three handlers ended');
    await waitUntil(async () => ((await inFlight()) === 0 ? true : undefined), 'no handler in flight');
    expect(await metrics.exposition()).toContain(
      `aoe_bus_handlers_in_flight{service="in-flight-test",subject="${Messages.RunRequested.subject}"} 0`,
    );
    await bus.close();
  });
});
