import { randomUUID } from 'node:crypto';
import { messageCatalogue, subjectMatches, type Envelope } from '@aoe/contracts';
import type { Bus, SubscriptionHandle } from '@aoe/messaging';

export type Listener = (envelope: Envelope<unknown>, subject: string) => void;

/**
 * Everything the embedded services publish, as one more consumer sees it:
 * how the CLI follows its flow (profiled, plan optimized, task progress, run
 * ended, dead letters) without polling the store.
 */
export class BusWatcher {
  private readonly listeners = new Set<Listener>();
  private readonly handles: SubscriptionHandle[] = [];

  static async start(bus: Bus): Promise<BusWatcher> {
    const watcher = new BusWatcher();
    const service = `aoe_cli_${randomUUID().slice(0, 8)}`;
    for (const filter of ['aoe.evt.>', 'aoe.dlq.>']) {
      watcher.handles.push(
        await bus.subscribe({
          service,
          definitions: messageCatalogue.filter((d) => subjectMatches(filter, d.subject) || d.subject === filter),
          filterSubject: filter,
          concurrency: 64,
          handler: async (message) => {
            for (const listener of watcher.listeners) listener(message.envelope, message.subject);
          },
        }),
      );
    }
    return watcher;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first message `pick` maps to a value; rejects after `timeoutMs`. */
  next<T>(
    pick: (envelope: Envelope<unknown>, subject: string) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`));
      }, timeoutMs);
      const off = this.on((envelope, subject) => {
        let value: T | undefined;
        try {
          value = pick(envelope, subject);
        } catch (error) {
          clearTimeout(timer);
          off();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === undefined) return;
        clearTimeout(timer);
        off();
        resolve(value);
      });
    });
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await Promise.all(this.handles.splice(0).map((h) => h.stop()));
  }
}
