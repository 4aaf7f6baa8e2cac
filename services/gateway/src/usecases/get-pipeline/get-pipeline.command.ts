import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const GetPipelineCommand = z.strictObject({ id: Id });
export type GetPipelineCommand = z.infer<typeof GetPipelineCommand>;
