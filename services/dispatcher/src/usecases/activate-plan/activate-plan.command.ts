import { z } from 'zod';
import { PipelinePlan } from '@aoe/contracts';

export const ActivatePlanCommand = z.strictObject({
  plan: PipelinePlan,
  messageId: z.string().min(1),
  subject: z.string().min(1),
});
export type ActivatePlanCommand = z.infer<typeof ActivatePlanCommand>;
