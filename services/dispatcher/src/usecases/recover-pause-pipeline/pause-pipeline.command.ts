import { z } from 'zod';
import { RecoveryPausePipeline } from '@aoe/contracts';

export const PausePipelineCommand = RecoveryPausePipeline.extend({ messageId: z.string().min(1) });
export type PausePipelineCommand = z.infer<typeof PausePipelineCommand>;
