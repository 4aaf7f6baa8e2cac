import { BaseBus, type ResolvedSubscription } from '../base-bus';
import type { SubscriptionHandle } from '../bus';
import type { OutboundMessage } from '../codec';
import { processDelivery } from '../delivery';
import type { BusObserver } from '../observer';
import { InProcessBroker, type BrokerDelivery, type ConsumerGroup } from './in-process-broker';

/**
 * The embedded-mode bus. Every InProcessBus on one broker is like one
 * connection to one NATS server: buses that subscribe as the same service are
 * replicas sharing a consumer group.
 */
export class InProcessBus extends BaseBus {
  private readonly subscriptions = new Set<InProcessSubscription>();

  constructor(
    readonly broker: InProcessBroker = new InProcessBroker(),
    observer?: BusObserver,
  ) {
    super(observer);
  }

  protected async send(message: OutboundMessage<unknown>): Promise<{ duplicate: boolean }> {
    return this.broker.publish(message.subject, message.data, message.headers, message.envelope.id);
  }

  protected async consume(subscription: ResolvedSubscription): Promise<SubscriptionHandle> {
    const group = this.broker.group(subscription.consumerName, subscription.filterSubject, subscription.ackWaitMs);
    const handle = new InProcessSubscription(subscription, group, () => this.subscriptions.delete(handle));
    this.subscriptions.add(handle);
    return handle;
  }

  async ping(): Promise<void> {
    if (this.broker.isClosed) throw new Error('the in-process bus is closed');
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  /** Fault injection: this replica dies; what it held is redelivered to the others. */
  crash(): void {
    for (const subscription of this.subscriptions) subscription.crash();
    this.subscriptions.clear();
  }
}

class InProcessSubscription implements SubscriptionHandle {
  private readonly memberId: number;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly subscription: ResolvedSubscription,
    private readonly group: ConsumerGroup,
    private readonly onStop: () => void,
  ) {
    this.memberId = group.join(subscription.concurrency, (delivery) => this.receive(delivery));
  }

  get consumerName(): string {
    return this.subscription.consumerName;
  }

  private receive(delivery: BrokerDelivery): void {
    const task = processDelivery(
      {
        subject: delivery.message.subject,
        data: delivery.message.data,
        headers: delivery.message.headers,
        attempt: delivery.attempt,
        streamSequence: delivery.message.sequence,
        ack: delivery.ack,
        nak: delivery.nak,
        working: delivery.working,
      },
      this.subscription.context,
    ).finally(() => this.running.delete(task));
    this.running.add(task);
  }

  async stop(): Promise<void> {
    this.group.leave(this.memberId);
    await Promise.all(this.running);
    this.onStop();
  }

  crash(): void {
    this.group.crash(this.memberId);
  }
}
