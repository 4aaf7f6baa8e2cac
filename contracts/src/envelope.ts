import { z } from 'zod';
import { Id, IsoDateTime } from './common';

/** W3C trace context, carried in the envelope and in the transport's headers. */
export const TraceContext = z.strictObject({
  traceparent: z.string().regex(/^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/),
  tracestate: z.string().optional(),
});
export type TraceContext = z.infer<typeof TraceContext>;

export const EnvelopeHeader = {
  id: z.uuid(),
  type: z.string().min(1),
  schemaVersion: z.number().int().min(1),
  occurredAt: IsoDateTime,
  /** The pipeline run (or the request) this message belongs to. */
  correlationId: Id,
  /** The id of the message that caused this one; absent for a first cause. */
  causationId: Id.optional(),
  trace: TraceContext.optional(),
};

/** The envelope every bus message travels in, around a payload of the given schema. */
export function envelopeOf<P extends z.ZodType>(payload: P) {
  return z.strictObject({ ...EnvelopeHeader, payload });
}

export const AnyEnvelope = envelopeOf(z.unknown());
export type Envelope<P = unknown> = Omit<z.infer<typeof AnyEnvelope>, 'payload'> & { payload: P };
