import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counters and latencies of one service's bus traffic. */
export class BusMetrics {
  readonly published: Counter<'subject'>;
  readonly handled: Counter<'service' | 'subject'>;
  readonly failed: Counter<'service' | 'subject'>;
  readonly deadLettered: Counter<'service' | 'subject' | 'kind'>;
  readonly handlerSeconds: Histogram<'service' | 'subject'>;
  readonly consumerPending: Gauge<'service' | 'consumer'>;
  readonly inFlight: Gauge<'service' | 'subject'>;

  constructor(registry: Registry) {
    this.published = new Counter({
      name: 'aoe_bus_published_total',
      help: 'Messages published on the bus',
      labelNames: ['subject'],
      registers: [registry],
    });
    this.handled = new Counter({
      name: 'aoe_bus_handled_total',
      help: 'Messages handled successfully',
      labelNames: ['service', 'subject'],
      registers: [registry],
    });
    this.failed = new Counter({
      name: 'aoe_bus_handler_failures_total',
      help: 'Handler attempts that threw (each is retried or dead-lettered)',
      labelNames: ['service', 'subject'],
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'aoe_bus_dead_lettered_total',
      help: 'Messages sent to the dead-letter subject',
      labelNames: ['service', 'subject', 'kind'],
      registers: [registry],
    });
    this.handlerSeconds = new Histogram({
      name: 'aoe_bus_handler_duration_seconds',
      help: 'Time from receipt to ack of a handled message',
      labelNames: ['service', 'subject'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.consumerPending = new Gauge({
      name: 'aoe_bus_consumer_pending_messages',
      help: 'Consumer lag: messages on the stream not yet delivered to the consumer, as of its latest delivery',
      labelNames: ['service', 'consumer'],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'aoe_bus_handlers_in_flight',
      help: 'Messages this replica is handling now (a run request stays in flight for the whole run)',
      labelNames: ['service', 'subject'],
      registers: [registry],
    });
  }
}

/** A service's Prometheus registry: process metrics plus the bus metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly bus: BusMetrics;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'aoe_' });
    this.bus = new BusMetrics(this.registry);
  }

  /** The Prometheus text exposition, for GET /metrics. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
