import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const StartRunBody = z.strictObject({
  pipelineId: Id,
  /** Default: the pipeline's current plan. */
  planVersion: z.number().int().min(1).optional(),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const StartRunCommand = StartRunBody.extend({
  correlationId: z.string().min(1).optional(),
  requestedBy: z.string().min(1),
});
export type StartRunCommand = z.infer<typeof StartRunCommand>;
