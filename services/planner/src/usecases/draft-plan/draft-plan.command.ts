import { z } from 'zod';
import { Id, SourceProfiled } from '@aoe/contracts';

/** A profiled source, and the envelope facts the planner acts on once. */
export const DraftPlanCommand = SourceProfiled.extend({
  /** The envelope id: the plan is drafted once, whichever replica gets the message and however often. */
  messageId: z.string().min(1),
  subject: z.string().min(1),
  correlationId: Id,
});
export type DraftPlanCommand = z.infer<typeof DraftPlanCommand>;
