import { z } from 'zod';
import { Id, RunEvent } from '@aoe/contracts';

/** A run event, and the envelope facts the monitor keeps with what it raises. */
export const RecordRunEventCommand = RunEvent.extend({
  messageId: z.string().min(1),
  correlationId: Id,
});
export type RecordRunEventCommand = z.infer<typeof RecordRunEventCommand>;
