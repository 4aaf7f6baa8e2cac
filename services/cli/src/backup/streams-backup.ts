import { Streams, type StreamName } from '@aoe/contracts';
import { Namespace } from '@aoe/messaging';
import {
  JetStreamApiError,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerUpdateConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { CliError, ExitCode } from '../errors';

/**
 * The bus's definitions, not its messages: each stream's configuration and
 * its durable consumers. The store is the record of what happened; the
 * streams only carry work in flight (see docs/operations-backup.md).
 */
export const StreamsBackup = z.object({
  kind: z.literal('aoe-streams-backup'),
  version: z.literal(1),
  namespace: z.string(),
  createdAt: z.string(),
  streams: z.array(
    z.object({
      name: z.string(),
      config: z.record(z.string(), z.unknown()),
      state: z.object({ messages: z.number(), bytes: z.number(), firstSeq: z.number(), lastSeq: z.number() }),
      consumers: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
});
export type StreamsBackup = z.infer<typeof StreamsBackup>;

const isNotFound = (error: unknown) => error instanceof JetStreamApiError && error.status === 404;

async function withManager<T>(natsUrl: string, fn: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: natsUrl, name: 'aoe-admin', maxReconnectAttempts: 0 }).catch((error: Error) => {
    throw new CliError(`cannot connect to NATS at ${natsUrl}: ${error.message}`, ExitCode.unreachable);
  });
  try {
    return await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** The platform's streams (AOE_CMD, AOE_EVT, AOE_DLQ) of a namespace, with their consumers. */
export async function backupStreams(natsUrl: string, namespace: string): Promise<StreamsBackup> {
  const ns = new Namespace(namespace);
  return withManager(natsUrl, async (jsm) => {
    const streams: StreamsBackup['streams'] = [];
    for (const name of Object.keys(Streams) as StreamName[]) {
      const info = await jsm.streams.info(ns.stream(name)).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (!info) continue;
      const consumers: Array<Record<string, unknown>> = [];
      for await (const consumer of jsm.consumers.list(info.config.name)) {
        consumers.push({ ...consumer.config });
      }
      streams.push({
        name,
        config: { ...info.config },
        state: {
          messages: info.state.messages,
          bytes: info.state.bytes,
          firstSeq: info.state.first_seq,
          lastSeq: info.state.last_seq,
        },
        consumers: consumers.sort((a, b) => String(a.durable_name).localeCompare(String(b.durable_name))),
      });
    }
    if (streams.length === 0) {
      throw new CliError(
        `no aoe streams${namespace ? ` in namespace "${namespace}"` : ''} on ${natsUrl} (set AOE_BUS_NAMESPACE)`,
        ExitCode.failed,
      );
    }
    return { kind: 'aoe-streams-backup', version: 1, namespace, createdAt: new Date().toISOString(), streams };
  });
}

/** A platform subject of the backup's namespace, on the target namespace. */
function remap(subject: unknown, from: Namespace, to: Namespace): string {
  return to.subject(from.strip(String(subject)));
}

function streamConfigFor(entry: StreamsBackup['streams'][number], from: Namespace, to: Namespace): StreamConfig {
  const config = { ...entry.config } as Record<string, unknown>;
  // Server-owned fields: the server sets them again.
  delete config.metadata;
  delete config.created;
  return {
    ...config,
    name: to.stream(entry.name as StreamName),
    subjects: ((config.subjects as unknown[]) ?? []).map((s) => remap(s, from, to)),
  } as StreamConfig;
}

function consumerConfigFor(config: Record<string, unknown>, from: Namespace, to: Namespace): ConsumerConfig {
  const copy = { ...config };
  delete copy.name; // the durable name is the name
  if (copy.filter_subject) copy.filter_subject = remap(copy.filter_subject, from, to);
  if (Array.isArray(copy.filter_subjects)) copy.filter_subjects = copy.filter_subjects.map((s) => remap(s, from, to));
  return copy as unknown as ConsumerConfig;
}

/** What the server lets an existing consumer change. */
function updatable(config: ConsumerConfig): Partial<ConsumerUpdateConfig> {
  const { ack_wait, max_ack_pending, max_deliver, description, backoff } = config;
  return { ack_wait, max_ack_pending, max_deliver, description, backoff };
}

export interface StreamsRestoreResult {
  namespace: string;
  streams: string[];
  consumers: number;
}

/**
 * Creates the backup's streams and consumers on a namespace (the backup's own,
 * or another: names and subjects are moved over). Existing streams are
 * refused unless `force`, which brings them to the backup's configuration.
 */
export async function restoreStreams(
  natsUrl: string,
  backup: StreamsBackup,
  namespace: string,
  force: boolean,
): Promise<StreamsRestoreResult> {
  const from = new Namespace(backup.namespace);
  const to = new Namespace(namespace);
  return withManager(natsUrl, async (jsm) => {
    const existing: string[] = [];
    for (const entry of backup.streams) {
      const name = to.stream(entry.name as StreamName);
      const found = await jsm.streams.info(name).then(
        () => true,
        (error: unknown) => {
          if (isNotFound(error)) return false;
          throw error;
        },
      );
      if (found) existing.push(name);
    }
    if (existing.length > 0 && !force) {
      throw new CliError(
        `streams ${existing.join(', ')} already exist; restore into a fresh namespace (--namespace), or pass --force to update them`,
        ExitCode.failed,
      );
    }
    let consumers = 0;
    for (const entry of backup.streams) {
      const config = streamConfigFor(entry, from, to);
      if (existing.includes(config.name)) await jsm.streams.update(config.name, config);
      else await jsm.streams.add(config);
      for (const consumer of entry.consumers) {
        const consumerConfig = consumerConfigFor(consumer, from, to);
        const durable = consumerConfig.durable_name!;
        const present = await jsm.consumers.info(config.name, durable).then(
          () => true,
          (error: unknown) => {
            if (isNotFound(error)) return false;
            throw error;
          },
        );
        if (present) await jsm.consumers.update(config.name, durable, updatable(consumerConfig));
        else await jsm.consumers.add(config.name, consumerConfig);
        consumers++;
      }
    }
    return { namespace, streams: backup.streams.map((s) => to.stream(s.name as StreamName)), consumers };
  });
}
