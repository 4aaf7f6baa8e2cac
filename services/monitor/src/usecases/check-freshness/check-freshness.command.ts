import { z } from 'zod';
import { Id } from '@aoe/contracts';

/** Which pipelines to check: every active one, or those named. */
export const CheckFreshnessCommand = z.strictObject({ pipelineIds: z.array(Id).optional() });
export type CheckFreshnessCommand = z.infer<typeof CheckFreshnessCommand>;
