import { z } from 'zod';
import { Id, PlanMessage } from '@aoe/contracts';

/** A drafted plan, and the envelope facts the optimizer acts on once. */
export const OptimizePlanCommand = PlanMessage.extend({
  /** The envelope id: the plan is optimized once, whichever replica gets the message and however often. */
  messageId: z.string().min(1),
  subject: z.string().min(1),
  correlationId: Id,
});
export type OptimizePlanCommand = z.infer<typeof OptimizePlanCommand>;
