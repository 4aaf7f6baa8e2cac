import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const ChangePipelineStatusCommand = z.strictObject({ id: Id, action: z.enum(['pause', 'resume', 'delete']) });
export type ChangePipelineStatusCommand = z.infer<typeof ChangePipelineStatusCommand>;
