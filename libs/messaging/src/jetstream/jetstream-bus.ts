import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { streamForSubject } from '@aoe/contracts';
import { BaseBus, type ResolvedSubscription } from '../base-bus';
import type { SubscriptionHandle } from '../bus';
import type { OutboundMessage } from '../codec';
import { processDelivery, type Delivery } from '../delivery';
import type { BusObserver } from '../observer';
import { InFlight } from '../in-flight';
import { Namespace, provisionConsumer, provisionStreams, type StreamLimits } from './provisioning';

export interface JetStreamBusOptions {
  servers: string | string[];
  /** Prefix for streams and subjects: one NATS can serve several environments (or test runs). */
  namespace?: string;
  observer?: BusObserver;
  streamLimits?: StreamLimits;
  /** Passed to nats.js (credentials, TLS, reconnect policy). */
  connection?: Omit<ConnectionOptions, 'servers'>;
}

/** The mesh bus: NATS JetStream, durable pull consumers, explicit acks. */
export class JetStreamBus extends BaseBus {
  private readonly subscriptions = new Set<JetStreamSubscription>();

  private constructor(
    readonly nats: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly namespace: Namespace,
    observer: BusObserver | undefined,
  ) {
    super(observer);
  }

  /** Connects and provisions the platform's streams (idempotent across replicas). */
  static async connect(options: JetStreamBusOptions): Promise<JetStreamBus> {
    const nats = await connect({
      maxReconnectAttempts: -1,
      name: options.namespace ? `aoe-${options.namespace}` : 'aoe',
      ...options.connection,
      servers: options.servers,
    });
    try {
      const jsm = await jetstreamManager(nats);
      const namespace = new Namespace(options.namespace);
      await provisionStreams(jsm, namespace, options.streamLimits);
      return new JetStreamBus(nats, jetstream(nats), jsm, namespace, options.observer);
    } catch (error) {
      await nats.close();
      throw error;
    }
  }

  protected async send(message: OutboundMessage<unknown>): Promise<{ duplicate: boolean }> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(message.headers)) h.set(key, value);
    const ack = await this.js.publish(this.namespace.subject(message.subject), message.data, {
      msgID: message.envelope.id,
      headers: h,
    });
    return { duplicate: ack.duplicate };
  }

  protected async consume(subscription: ResolvedSubscription): Promise<SubscriptionHandle> {
    const streamName = streamForSubject(subscription.filterSubject);
    if (!streamName) throw new Error(`no stream stores subject "${subscription.filterSubject}"`);
    const stream = this.namespace.stream(streamName);
    await provisionConsumer(this.jsm, {
      stream,
      durableName: subscription.consumerName,
      filterSubject: this.namespace.subject(subscription.filterSubject),
      ackWaitMs: subscription.ackWaitMs,
      maxAckPending: Math.max(1000, subscription.concurrency * 4),
    });
    const consumer = await this.js.consumers.get(stream, subscription.consumerName);
    const messages = await consumer.consume({ max_messages: subscription.concurrency });
    const handle = new JetStreamSubscription(subscription, messages, this.namespace, () =>
      this.subscriptions.delete(handle),
    );
    this.subscriptions.add(handle);
    handle.start();
    return handle;
  }

  async ping(): Promise<void> {
    await this.nats.flush();
    await this.jsm.getAccountInfo();
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (!this.nats.isClosed()) await this.nats.drain();
  }
}

class JetStreamSubscription implements SubscriptionHandle {
  private readonly inFlight: InFlight;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly subscription: ResolvedSubscription,
    private readonly messages: ConsumerMessages,
    private readonly namespace: Namespace,
    private readonly onStop: () => void,
  ) {
    this.inFlight = new InFlight(subscription.concurrency);
  }

  get consumerName(): string {
    return this.subscription.consumerName;
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const { context, consumerName } = this.subscription;
    for await (const msg of this.messages) {
      context.observer.consumerPending(context.service, consumerName, msg.info.pending);
      await this.inFlight.run(() => processDelivery(this.toDelivery(msg), this.subscription.context));
    }
  }

  private toDelivery(msg: JsMsg): Delivery {
    const headers: Record<string, string> = {};
    for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
    return {
      subject: this.namespace.strip(msg.subject),
      data: msg.data,
      headers,
      attempt: msg.info.deliveryCount,
      stream: msg.info.stream,
      streamSequence: msg.seq,
      ack: () => msg.ack(),
      nak: (delayMs) => msg.nak(delayMs),
      working: () => msg.working(),
    };
  }

  async stop(): Promise<void> {
    await this.messages.close();
    await this.loop;
    await this.inFlight.drain();
    this.onStop();
  }
}
