import { messageCatalogue, subjectMatches, type MessageDefinition } from '@aoe/contracts';
import { Server, type CustomTransportStrategy, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Bus, InboundMessage, SubscriptionHandle } from '../bus';
import type { RetryPolicy } from '../retry-policy';

/** Options a handler declares next to its pattern: `@EventPattern(subject, { retry, concurrency })`. */
export interface HandlerExtras {
  /** The consuming service, when one Nest app hosts several (embedded mode); default: the strategy's. */
  service?: string;
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
  ackWaitMs?: number;
}

/**
 * Nest's custom transport over the platform bus (JetStream or in-process).
 * Every `@EventPattern(subject)` of the service becomes a durable consumer;
 * the handler receives the validated payload and the whole inbound message as
 * the context. A thrown error (or failed observable) naks the message.
 */
export class BusTransportStrategy extends Server implements CustomTransportStrategy {
  private readonly handles: SubscriptionHandle[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly service: string,
    private readonly catalogue: readonly MessageDefinition[] = messageCatalogue,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const [pattern, first] of this.messageHandlers) {
        // Nest chains event handlers that share a pattern; each is its own consumer.
        for (let handler: NestHandler | undefined = first; handler; handler = handler.next) {
          this.handles.push(await this.subscribe(pattern, handler));
        }
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private subscribe(pattern: string, handler: NestHandler): Promise<SubscriptionHandle> {
    const definitions = this.catalogue.filter((d) => d.subject === pattern || subjectMatches(pattern, d.subject));
    if (definitions.length === 0) throw new Error(`${this.service}: no message in the catalogue matches "${pattern}"`);
    const extras = (handler.extras ?? {}) as HandlerExtras;
    return this.bus.subscribe({
      service: extras.service ?? this.service,
      definitions,
      filterSubject: pattern,
      retry: extras.retry,
      concurrency: extras.concurrency,
      ackWaitMs: extras.ackWaitMs,
      handler: async (message: InboundMessage) => {
        const result: unknown = await handler(message.payload, message);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      },
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.splice(0).map((h) => h.stop()));
  }

  on(): never {
    throw new Error('BusTransportStrategy has no transport events; use the bus observer');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}
