import { createHash, randomUUID } from 'node:crypto';
import {
  envelopeOf,
  subjectMatches,
  type Envelope,
  type MessageDefinition,
  type PayloadOf,
  type TraceContext,
} from '@aoe/contracts';
import type { z } from 'zod';
import { MessageValidationError } from './errors';
import type { PublishOptions } from './bus';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const envelopeSchemas = new WeakMap<MessageDefinition, z.ZodType>();

function envelopeSchemaOf(definition: MessageDefinition): z.ZodType {
  let schema = envelopeSchemas.get(definition);
  if (!schema) {
    schema = envelopeOf(definition.payload);
    envelopeSchemas.set(definition, schema);
  }
  return schema;
}

export interface OutboundMessage<P> {
  subject: string;
  envelope: Envelope<P>;
  data: Uint8Array;
  headers: Record<string, string>;
}

/** Validates a payload against its contract and wraps it in an envelope; throws on invalid input. */
export function encodeMessage<D extends MessageDefinition>(
  definition: D,
  payload: PayloadOf<D>,
  options: PublishOptions,
  trace: TraceContext | undefined,
): OutboundMessage<PayloadOf<D>> {
  const subject = resolveSubject(definition, options.subject);
  const candidate = {
    id: options.id ?? randomUUID(),
    type: definition.type,
    schemaVersion: definition.schemaVersion,
    occurredAt: new Date().toISOString(),
    correlationId: options.correlationId,
    ...(options.causationId ? { causationId: options.causationId } : {}),
    ...(trace ? { trace } : {}),
    payload,
  };
  const parsed = envelopeSchemaOf(definition).safeParse(candidate);
  if (!parsed.success) throw new MessageValidationError(definition.type, parsed.error.issues);
  const envelope = parsed.data as Envelope<PayloadOf<D>>;
  const headers: Record<string, string> = {
    'aoe-type': definition.type,
    'aoe-schema-version': String(definition.schemaVersion),
    'aoe-correlation-id': envelope.correlationId,
  };
  if (trace) {
    headers.traceparent = trace.traceparent;
    if (trace.tracestate) headers.tracestate = trace.tracestate;
  }
  return { subject, envelope, data: encoder.encode(JSON.stringify(envelope)), headers };
}

function resolveSubject(definition: MessageDefinition, override: string | undefined): string {
  const isPattern = /[*>]/.test(definition.subject);
  if (!override) {
    if (isPattern) throw new Error(`${definition.type} is published on a concrete subject; pass options.subject`);
    return definition.subject;
  }
  if (!subjectMatches(definition.subject, override) || /[*>]/.test(override)) {
    throw new Error(`subject "${override}" is not a subject of ${definition.type} (${definition.subject})`);
  }
  return override;
}

export type DecodeResult =
  { ok: true; envelope: Envelope; definition: MessageDefinition } | { ok: false; reason: string };

/** Parses an inbound message against the contract of the subject it arrived on; never throws. */
export function decodeMessage(
  subject: string,
  data: Uint8Array,
  definitions: readonly MessageDefinition[],
): DecodeResult {
  const definition = definitions.find((d) => subjectMatches(d.subject, subject));
  if (!definition) return { ok: false, reason: `no contract handles subject "${subject}"` };
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch (error) {
    return { ok: false, reason: `not UTF-8 JSON: ${(error as Error).message}` };
  }
  const parsed = envelopeSchemaOf(definition).safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, reason: `schema validation failed for ${definition.type}: ${issues}` };
  }
  const envelope = parsed.data as Envelope;
  if (envelope.type !== definition.type) {
    return { ok: false, reason: `envelope type "${envelope.type}" does not belong on subject "${subject}"` };
  }
  return { ok: true, envelope, definition };
}

/** The original bytes, as text when they are UTF-8, for a dead letter. */
export function describeBytes(data: Uint8Array): { originalData: string; originalEncoding: 'utf-8' | 'base64' } {
  try {
    return { originalData: decoder.decode(data), originalEncoding: 'utf-8' };
  } catch {
    return { originalData: Buffer.from(data).toString('base64'), originalEncoding: 'base64' };
  }
}

/** A stable UUID (version 8) derived from text, for idempotent publishes of derived messages. */
export function uuidFromText(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
