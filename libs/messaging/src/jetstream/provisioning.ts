import { Streams, type StreamName } from '@aoe/contracts';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** Stream and subject names inside an optional namespace (one per environment, or per test). */
export class Namespace {
  constructor(readonly prefix: string = '') {
    if (prefix && !/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`invalid bus namespace "${prefix}"`);
  }
  stream(name: StreamName): string {
    return this.prefix ? `${this.prefix}_${name}` : name;
  }
  subject(subject: string): string {
    return this.prefix ? `${this.prefix}.${subject}` : subject;
  }
  /** The platform subject of a wire subject. */
  strip(wireSubject: string): string {
    return this.prefix && wireSubject.startsWith(`${this.prefix}.`)
      ? wireSubject.slice(this.prefix.length + 1)
      : wireSubject;
  }
}

export interface StreamLimits {
  maxAgeMs: number;
  duplicateWindowMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxAgeMs: 7 * 24 * 3600_000,
  duplicateWindowMs: 2 * 60_000,
};

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}

/** Creates the platform's streams, or brings their subjects and limits up to date; safe to run from every replica. */
export async function provisionStreams(
  jsm: JetStreamManager,
  namespace: Namespace,
  limits: StreamLimits = DEFAULT_STREAM_LIMITS,
): Promise<void> {
  for (const name of Object.keys(Streams) as StreamName[]) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: namespace.stream(name),
      subjects: Streams[name].subjects.map((s) => namespace.subject(s)),
      description: Streams[name].description,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(limits.maxAgeMs),
      duplicate_window: nanos(limits.duplicateWindowMs),
    };
    try {
      const info = await jsm.streams.info(config.name);
      const same =
        info.config.subjects.join() === config.subjects!.join() &&
        info.config.max_age === config.max_age &&
        info.config.duplicate_window === config.duplicate_window;
      if (!same) await jsm.streams.update(config.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await addIgnoringRace(() => jsm.streams.add(config));
    }
  }
}

export interface ConsumerSpec {
  stream: string;
  durableName: string;
  filterSubject: string;
  ackWaitMs: number;
  maxAckPending: number;
}

/**
 * One durable pull consumer per service and subject filter, shared by all the
 * service's replicas. Redelivery is unbounded on the server: the bus counts
 * deliveries itself and dead-letters, so no message silently expires.
 */
export async function provisionConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  const config = {
    durable_name: spec.durableName,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: spec.filterSubject,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: spec.maxAckPending,
  };
  try {
    const info = await jsm.consumers.info(spec.stream, spec.durableName);
    if (info.config.filter_subject !== config.filter_subject) {
      throw new Error(
        `consumer ${spec.durableName} on ${spec.stream} filters "${info.config.filter_subject}", not "${config.filter_subject}"`,
      );
    }
    if (info.config.ack_wait !== config.ack_wait || info.config.max_ack_pending !== config.max_ack_pending) {
      await jsm.consumers.update(spec.stream, spec.durableName, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await addIgnoringRace(() => jsm.consumers.add(spec.stream, config));
  }
}

/** Two replicas may create the same stream or consumer at once; the loser finds it made. */
async function addIgnoringRace(add: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (error) {
    if (error instanceof JetStreamApiError && /already in use|already exists/i.test(error.message)) return;
    throw error;
  }
}
