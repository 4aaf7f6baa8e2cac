import { randomUUID } from 'node:crypto';
import { Messages, type DeadLetter, type RunRequested } from '@aoe/contracts';
import type { Bus, InboundMessage } from '../src';
import { MessageValidationError, NonRetryableError } from '../src';

/** What the contract suite needs from a transport. */
export interface BusHarness {
  setup(): Promise<void>;
  /** A new replica: its own connection to the same bus. */
  replica(): Promise<Bus>;
  /** The replica dies without acknowledging what it holds. */
  crash(bus: Bus): Promise<void>;
  /** Puts bytes on a subject without validation, as a broken producer would. */
  publishRaw(subject: string, data: Uint8Array): Promise<void>;
  teardown(): Promise<void>;
}

const runRequested = (n: number): RunRequested => ({
  runId: `run-${n}`,
  pipelineId: 'pipeline-1',
  trigger: 'manual',
});

export async function waitFor(condition: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One suite, run against every transport: the bus semantics the platform relies on. */
export function busContractSuite(name: string, makeHarness: () => BusHarness): void {
  describe(`${name}: bus contract`, () => {
    let harness: BusHarness;
    const opened: Bus[] = [];
    const replica = async () => {
      const bus = await harness.replica();
      opened.push(bus);
      return bus;
    };
    const watchDeadLetters = async (bus: Bus) => {
      const letters: DeadLetter[] = [];
      await bus.subscribe({
        service: 'dlq-watcher',
        definitions: [Messages.DeadLettered],
        handler: async (m) => {
          letters.push(m.payload);
        },
      });
      return letters;
    };

    beforeEach(async () => {
      harness = makeHarness();
      await harness.setup();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close().catch(() => undefined)));
      await harness.teardown();
    });

    it('shares 1,000 messages between two replicas: each handled exactly once, none lost', async () => {
      const [a, b, producer] = [await replica(), await replica(), await replica()];
      const seen = new Map<string, string[]>();
      const handler = (who: string) => async (m: InboundMessage<RunRequested>) => {
        seen.set(m.payload.runId, [...(seen.get(m.payload.runId) ?? []), who]);
      };
      const sub = { service: 'worker', definitions: [Messages.RunRequested], concurrency: 16 } as const;
      await a.subscribe({ ...sub, handler: handler('a') });
      await b.subscribe({ ...sub, handler: handler('b') });

      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          producer.publish(Messages.RunRequested, runRequested(i), { correlationId: `c-${i}` }),
        ),
      );
      await waitFor(() => seen.size === 1000, 30_000, '1,000 messages handled');
      await new Promise((r) => setTimeout(r, 300)); // any redelivery would show up now

      expect(seen.size).toBe(1000);
      expect([...seen.values()].every((handlers) => handlers.length === 1)).toBe(true);
      const byA = [...seen.values()].filter((h) => h[0] === 'a').length;
      expect(byA).toBeGreaterThan(0);
      expect(byA).toBeLessThan(1000);
    });

    it('redelivers to another replica the message a crashed replica was handling', async () => {
      const [doomed, survivor, producer] = [await replica(), await replica(), await replica()];
      let doomedGotIt = false;
      const handledBySurvivor: string[] = [];
      const sub = { service: 'crashy', definitions: [Messages.RunRequested], ackWaitMs: 1_000 } as const;
      await doomed.subscribe({
        ...sub,
        handler: async () => {
          doomedGotIt = true;
          await new Promise(() => undefined); // hangs until the replica dies
        },
      });
      await producer.publish(Messages.RunRequested, runRequested(1), { correlationId: 'crash' });
      await waitFor(() => doomedGotIt, 10_000, 'the doomed replica to take the message');

      await harness.crash(doomed);
      opened.splice(opened.indexOf(doomed), 1);
      await survivor.subscribe({
        ...sub,
        handler: async (m) => {
          handledBySurvivor.push(`${m.payload.runId}@${m.attempt}`);
        },
      });
      await waitFor(() => handledBySurvivor.length === 1, 15_000, 'redelivery to the survivor');
      expect(handledBySurvivor).toEqual(['run-1@2']);
    });

    it('retries a failing handler with growing delays, then dead-letters it with the reason, and keeps serving', async () => {
      const [bus, producer] = [await replica(), await replica()];
      const letters = await watchDeadLetters(producer);
      const attemptsAt: number[] = [];
      const good: string[] = [];
      await bus.subscribe({
        service: 'flaky',
        definitions: [Messages.RunRequested],
        retry: { maxDeliver: 4, initialDelayMs: 100, factor: 3, maxDelayMs: 5_000, jitter: 0 },
        handler: async (m) => {
          if (m.payload.runId === 'run-poison') {
            attemptsAt.push(Date.now());
            throw new Error('target table is locked');
          }
          good.push(m.payload.runId);
        },
      });
      await producer.publish(
        Messages.RunRequested,
        { ...runRequested(0), runId: 'run-poison' },
        { correlationId: 'p' },
      );
      for (let i = 1; i <= 5; i++)
        await producer.publish(Messages.RunRequested, runRequested(i), { correlationId: 'ok' });

      await waitFor(() => letters.length === 1, 20_000, 'the dead letter');
      expect(good).toHaveLength(5);
      expect(attemptsAt).toHaveLength(4);
      const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]);
      expect(gaps[1]).toBeGreaterThan(gaps[0]);
      expect(gaps[2]).toBeGreaterThan(gaps[1]);
      expect(letters[0]).toMatchObject({
        service: 'flaky',
        kind: 'handler-failed',
        attempts: 4,
        originalSubject: 'aoe.cmd.run.requested',
      });
      expect(letters[0].reason).toContain('target table is locked');
      expect(JSON.parse(letters[0].originalData).payload.runId).toBe('run-poison');
    });

    it('dead-letters a non-retryable failure at once', async () => {
      const [bus, producer] = [await replica(), await replica()];
      const letters = await watchDeadLetters(producer);
      let attempts = 0;
      await bus.subscribe({
        service: 'strict',
        definitions: [Messages.RunRequested],
        handler: async () => {
          attempts++;
          throw new NonRetryableError('pipeline does not exist');
        },
      });
      await producer.publish(Messages.RunRequested, runRequested(1), { correlationId: 'x' });
      await waitFor(() => letters.length === 1, 10_000, 'the dead letter');
      expect(attempts).toBe(1);
      expect(letters[0].reason).toContain('pipeline does not exist');
    });

    it('dead-letters a message that fails its schema, with the validation error, and does not crash', async () => {
      const [bus, producer] = [await replica(), await replica()];
      const letters = await watchDeadLetters(producer);
      const handled: string[] = [];
      await bus.subscribe({
        service: 'validating',
        definitions: [Messages.RunRequested],
        handler: async (m) => {
          handled.push(m.payload.runId);
        },
      });
      const bad = {
        id: randomUUID(),
        type: 'run.requested',
        schemaVersion: 1,
        occurredAt: new Date().toISOString(),
        correlationId: 'bad',
        payload: { runId: 'run-bad', trigger: 'whenever' },
      };
      await harness.publishRaw('aoe.cmd.run.requested', new TextEncoder().encode(JSON.stringify(bad)));
      await harness.publishRaw('aoe.cmd.run.requested', new TextEncoder().encode('{not json'));
      await producer.publish(Messages.RunRequested, runRequested(7), { correlationId: 'fine' });

      await waitFor(
        () => letters.length === 2 && handled.length === 1,
        10_000,
        'two dead letters and one good message',
      );
      expect(handled).toEqual(['run-7']);
      const reasons = letters.map((l) => l.reason).sort();
      expect(reasons[0]).toMatch(/not UTF-8 JSON/);
      expect(reasons[1]).toMatch(/schema validation failed for run.requested: .*pipelineId/);
      expect(reasons[1]).toMatch(/trigger/);
      expect(letters.every((l) => l.kind === 'invalid-message' && l.service === 'validating')).toBe(true);
    });

    it('refuses to publish a payload that fails its contract', async () => {
      const bus = await replica();
      await expect(
        bus.publish(Messages.RunRequested, { runId: 'r', trigger: 'manual' } as unknown as RunRequested, {
          correlationId: 'c',
        }),
      ).rejects.toThrow(MessageValidationError);
    });

    it('drops a repeated publish with the same envelope id', async () => {
      const [bus, producer] = [await replica(), await replica()];
      const handled: string[] = [];
      await bus.subscribe({
        service: 'dedupe',
        definitions: [Messages.RunRequested],
        handler: async (m) => {
          handled.push(m.envelope.id);
        },
      });
      const id = randomUUID();
      const first = await producer.publish(Messages.RunRequested, runRequested(1), { correlationId: 'd', id });
      const second = await producer.publish(Messages.RunRequested, runRequested(1), { correlationId: 'd', id });
      await producer.publish(Messages.RunRequested, runRequested(2), { correlationId: 'd' });
      await waitFor(() => handled.length >= 2, 10_000, 'two messages');
      await new Promise((r) => setTimeout(r, 300));
      expect(first.duplicate).toBe(false);
      expect(second.duplicate).toBe(true);
      expect(handled.filter((h) => h === id)).toHaveLength(1);
      expect(handled).toHaveLength(2);
    });

    it('delivers messages published before the consumer existed (durable, from the start)', async () => {
      const [producer, late] = [await replica(), await replica()];
      await producer.publish(Messages.RunRequested, runRequested(1), { correlationId: 'early' });
      const handled: string[] = [];
      await late.subscribe({
        service: 'late-joiner',
        definitions: [Messages.RunRequested],
        handler: async (m) => {
          handled.push(m.payload.runId);
        },
      });
      await waitFor(() => handled.length === 1, 10_000, 'the earlier message');
      expect(handled).toEqual(['run-1']);
    });

    it('routes a wildcard subscription to each message by its own contract', async () => {
      const [bus, producer] = [await replica(), await replica()];
      const types: string[] = [];
      await bus.subscribe({
        service: 'run-watcher',
        definitions: [Messages.RunStarted, Messages.RunSucceeded, Messages.RunFailed, Messages.RunCancelled],
        filterSubject: 'aoe.evt.run.*',
        handler: async (m) => {
          types.push(m.envelope.type);
        },
      });
      const event = { runId: 'r', pipelineId: 'p', at: new Date().toISOString() };
      await producer.publish(Messages.RunStarted, { ...event, status: 'started' }, { correlationId: 'r' });
      await producer.publish(Messages.RunSucceeded, { ...event, status: 'succeeded' }, { correlationId: 'r' });
      await waitFor(() => types.length === 2, 10_000, 'two run events');
      expect(types.sort()).toEqual(['run.started', 'run.succeeded']);
    });

    it('answers ping while open', async () => {
      const bus = await replica();
      await expect(bus.ping()).resolves.toBeUndefined();
    });
  });
}
