import { z } from 'zod';
import { Id, TargetPolicy, TargetSpec } from '@aoe/contracts';
import { CronExpression } from '../../http/schemas';

export const CreatePipelineBody = z.strictObject({
  sourceId: Id,
  name: z.string().min(1).max(200).optional(),
  target: TargetSpec,
  policy: TargetPolicy.optional(),
  schedule: CronExpression.optional(),
});
export type CreatePipelineBody = z.infer<typeof CreatePipelineBody>;

export const CreatePipelineCommand = CreatePipelineBody.extend({ correlationId: z.string().min(1) });
export type CreatePipelineCommand = z.input<typeof CreatePipelineCommand>;
