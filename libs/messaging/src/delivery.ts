import { performance } from 'node:perf_hooks';
import { TraceContext, type DeadLetter, type Envelope, type MessageDefinition } from '@aoe/contracts';
import { SpanKind, inSpan, scrubText } from '@aoe/telemetry';
import type { MessageHandler } from './bus';
import { decodeMessage, describeBytes } from './codec';
import { isRetryable } from './errors';
import type { BusObserver } from './observer';
import { retryDelayMs, type RetryPolicy } from './retry-policy';

/** One delivery of one message, as either transport hands it over. */
export interface Delivery {
  /** The platform subject (any transport namespace removed). */
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  /** 1 on the first delivery. */
  attempt: number;
  stream?: string;
  streamSequence?: number;
  ack(): void;
  nak(delayMs: number): void;
  working(): void;
}

export interface DeliveryContext {
  service: string;
  definitions: readonly MessageDefinition[];
  handler: MessageHandler;
  retry: RetryPolicy;
  observer: BusObserver;
  /** Publishes the dead letter; rejects when the bus cannot take it. */
  deadLetter(letter: DeadLetter, correlationId: string, causationId: string | undefined): Promise<void>;
}

/**
 * The semantics both buses share: validate on receipt, run the handler in a
 * span that continues the publisher's trace, ack on success, nak with
 * exponential backoff on failure, dead-letter (then ack) when the message is
 * invalid, poison, or out of deliveries. Never throws.
 */
export async function processDelivery(delivery: Delivery, ctx: DeliveryContext): Promise<void> {
  const decoded = decodeMessage(delivery.subject, delivery.data, ctx.definitions);
  if (!decoded.ok) {
    return deadLetter(delivery, ctx, 'invalid-message', decoded.reason, undefined);
  }
  const { envelope, definition } = decoded;
  if (delivery.attempt > ctx.retry.maxDeliver) {
    const reason = `not acknowledged after ${ctx.retry.maxDeliver} deliveries (a replica may have stopped while handling it)`;
    return deadLetter(delivery, ctx, 'handler-failed', reason, envelope);
  }

  const started = performance.now();
  ctx.observer.handling(ctx.service, delivery.subject, 1);
  try {
    await inSpan(
      `handle ${delivery.subject}`,
      {
        kind: SpanKind.CONSUMER,
        parent: envelope.trace ?? traceFromHeaders(delivery.headers),
        attributes: {
          'messaging.system': 'aoe-bus',
          'messaging.destination.name': delivery.subject,
          'messaging.message.id': envelope.id,
          'messaging.consumer.group.name': ctx.service,
          'aoe.correlation_id': envelope.correlationId,
          'aoe.attempt': delivery.attempt,
        },
      },
      () =>
        ctx.handler({
          envelope,
          payload: envelope.payload,
          subject: delivery.subject,
          definition,
          attempt: delivery.attempt,
          working: () => delivery.working(),
        }),
    );
  } catch (error) {
    ctx.observer.handling(ctx.service, delivery.subject, -1);
    const willRetry = isRetryable(error) && delivery.attempt < ctx.retry.maxDeliver;
    ctx.observer.failed(ctx.service, delivery.subject, error, delivery.attempt, willRetry);
    if (willRetry) {
      delivery.nak(retryDelayMs(ctx.retry, delivery.attempt));
      return;
    }
    const why = isRetryable(error)
      ? `handler failed on all ${delivery.attempt} deliveries; last error`
      : 'handler refused the message as non-retryable';
    return deadLetter(delivery, ctx, 'handler-failed', `${why}: ${describeError(error)}`, envelope);
  }
  ctx.observer.handling(ctx.service, delivery.subject, -1);
  delivery.ack();
  ctx.observer.handled(ctx.service, delivery.subject, (performance.now() - started) / 1000);
}

async function deadLetter(
  delivery: Delivery,
  ctx: DeliveryContext,
  kind: DeadLetter['kind'],
  reason: string,
  envelope: Envelope | undefined,
): Promise<void> {
  const letter: DeadLetter = {
    service: ctx.service,
    originalSubject: delivery.subject,
    ...describeBytes(delivery.data),
    originalHeaders: delivery.headers,
    reason: scrubText(reason),
    kind,
    attempts: delivery.attempt,
    ...(delivery.stream ? { stream: delivery.stream } : {}),
    ...(delivery.streamSequence !== undefined ? { streamSequence: delivery.streamSequence } : {}),
    failedAt: new Date().toISOString(),
  };
  try {
    await ctx.deadLetter(
      letter,
      envelope?.correlationId ?? delivery.headers['aoe-correlation-id'] ?? 'unknown',
      envelope?.id,
    );
  } catch (error) {
    // The dead letter could not be stored: keep the original so nothing is lost.
    ctx.observer.failed(ctx.service, delivery.subject, error, delivery.attempt, true);
    delivery.nak(ctx.retry.initialDelayMs);
    return;
  }
  delivery.ack();
  ctx.observer.deadLettered(ctx.service, delivery.subject, kind, letter.reason);
}

function traceFromHeaders(headers: Record<string, string>): TraceContext | undefined {
  const parsed = TraceContext.safeParse({ traceparent: headers.traceparent, tracestate: headers.tracestate });
  return parsed.success ? parsed.data : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
