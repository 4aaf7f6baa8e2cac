import { Messages, deadLetterSubject, subjectMatches, type MessageDefinition, type PayloadOf } from '@aoe/contracts';
import { SpanKind, activeTraceContext, inSpan } from '@aoe/telemetry';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_CONCURRENCY,
  type Bus,
  type PublishOptions,
  type PublishResult,
  type Subscription,
  type SubscriptionHandle,
} from './bus';
import { encodeMessage, uuidFromText, type OutboundMessage } from './codec';
import type { DeliveryContext } from './delivery';
import { silentObserver, type BusObserver } from './observer';
import { DEFAULT_RETRY_POLICY } from './retry-policy';

/** A subscription with its defaults filled in and checked. */
export interface ResolvedSubscription {
  filterSubject: string;
  consumerName: string;
  concurrency: number;
  ackWaitMs: number;
  context: DeliveryContext;
}

/** Publishing, validation and subscription set-up shared by both transports. */
export abstract class BaseBus implements Bus {
  protected constructor(protected readonly observer: BusObserver = silentObserver) {}

  protected abstract send(message: OutboundMessage<unknown>): Promise<{ duplicate: boolean }>;
  protected abstract consume(subscription: ResolvedSubscription): Promise<SubscriptionHandle>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;

  async publish<D extends MessageDefinition>(
    definition: D,
    payload: PayloadOf<D>,
    options: PublishOptions,
  ): Promise<PublishResult<PayloadOf<D>>> {
    const subject = options.subject ?? definition.subject;
    return inSpan(`publish ${subject}`, { kind: SpanKind.PRODUCER }, async (span) => {
      const message = encodeMessage(definition, payload, options, activeTraceContext());
      span.setAttribute('messaging.message.id', message.envelope.id);
      const { duplicate } = await this.send(message);
      this.observer.published(message.subject);
      return { envelope: message.envelope, duplicate };
    });
  }

  subscribe<D extends MessageDefinition>(subscription: Subscription<D>): Promise<SubscriptionHandle> {
    return this.consume(this.resolve(subscription));
  }

  private resolve(subscription: Subscription): ResolvedSubscription {
    const { service, definitions } = subscription;
    if (definitions.length === 0) throw new Error(`${service}: a subscription needs at least one message definition`);
    const filterSubject = subscription.filterSubject ?? definitions[0].subject;
    if (!subscription.filterSubject && definitions.length > 1) {
      throw new Error(`${service}: several definitions need a filterSubject`);
    }
    for (const d of definitions) {
      if (!subjectMatches(filterSubject, d.subject) && d.subject !== filterSubject) {
        throw new Error(`${service}: ${d.type} (${d.subject}) is outside filter "${filterSubject}"`);
      }
    }
    const retry = { ...DEFAULT_RETRY_POLICY, ...subscription.retry };
    return {
      filterSubject,
      consumerName: consumerName(service, filterSubject),
      concurrency: subscription.concurrency ?? DEFAULT_CONCURRENCY,
      ackWaitMs: subscription.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
      context: {
        service,
        definitions,
        handler: subscription.handler,
        retry,
        observer: this.observer,
        deadLetter: async (letter, correlationId, causationId) => {
          await this.publish(Messages.DeadLettered, letter, {
            subject: deadLetterSubject(service),
            correlationId,
            causationId,
            // The same failed delivery dead-lettered twice (a crash after publishing) is one letter.
            id: uuidFromText(`${service}|${letter.stream}|${letter.streamSequence}|${letter.originalData}`),
          });
        },
      },
    };
  }
}

function consumerName(service: string, filterSubject: string): string {
  const subject = filterSubject
    .replace(/\*/g, 'any')
    .replace(/>/g, 'all')
    .replace(/[^A-Za-z0-9_-]/g, '_');
  return `${service.replace(/[^A-Za-z0-9_-]/g, '_')}__${subject}`;
}
