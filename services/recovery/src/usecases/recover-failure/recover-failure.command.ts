import { z } from 'zod';
import { Id, RunEvent } from '@aoe/contracts';

/** A failed run's event and the envelope facts recovery keeps with what it publishes. */
export const RecoverFailureCommand = RunEvent.extend({
  status: z.literal('failed'),
  messageId: z.string().min(1),
  correlationId: Id,
});
export type RecoverFailureCommand = z.infer<typeof RecoverFailureCommand>;
