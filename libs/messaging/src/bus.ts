import type { Envelope, MessageDefinition, PayloadOf } from '@aoe/contracts';
import type { RetryPolicy } from './retry-policy';

export interface PublishOptions {
  /** The run or request this message belongs to. */
  correlationId: string;
  /** The envelope id of the message that caused this one. */
  causationId?: string;
  /** Envelope id; give the same id to publish idempotently (a repeat is dropped). */
  id?: string;
  /** Only for definitions whose subject is a wildcard (dead letters). */
  subject?: string;
}

export interface PublishResult<P> {
  envelope: Envelope<P>;
  /** True when the bus had already seen this envelope id and dropped the repeat. */
  duplicate: boolean;
}

export interface InboundMessage<P = unknown> {
  envelope: Envelope<P>;
  payload: P;
  subject: string;
  definition: MessageDefinition;
  /** 1 on first delivery. */
  attempt: number;
  /** Tells the bus a long handler is still at work (extends the ack deadline). */
  working(): void;
}

export type MessageHandler<P = unknown> = (message: InboundMessage<P>) => Promise<void>;

export interface Subscription<D extends MessageDefinition = MessageDefinition> {
  /** The consuming service; all its replicas share one durable consumer. */
  service: string;
  /** The messages handled; each must match `filterSubject`. */
  definitions: readonly D[];
  /** Defaults to the subject of the single definition. */
  filterSubject?: string;
  handler: MessageHandler<PayloadOf<D>>;
  retry?: Partial<RetryPolicy>;
  /** Messages handled at once by this replica. */
  concurrency?: number;
  /** How long a delivery may stay unacknowledged before it goes to another replica. */
  ackWaitMs?: number;
}

export interface SubscriptionHandle {
  readonly consumerName: string;
  /** Stops taking messages and waits for the ones in hand. */
  stop(): Promise<void>;
}

/** The platform bus: JetStream in the mesh, in-process in embedded mode; same semantics. */
export interface Bus {
  publish<D extends MessageDefinition>(
    definition: D,
    payload: PayloadOf<D>,
    options: PublishOptions,
  ): Promise<PublishResult<PayloadOf<D>>>;
  subscribe<D extends MessageDefinition>(subscription: Subscription<D>): Promise<SubscriptionHandle>;
  /** Resolves when the bus answers (readiness). */
  ping(): Promise<void>;
  /** Stops every subscription, finishes what is in hand, then disconnects. */
  close(): Promise<void>;
}

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_CONCURRENCY = 8;
