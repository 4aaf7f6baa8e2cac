import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const AnalyzeSourceCommand = z.strictObject({ id: Id, correlationId: z.string().min(1) });
export type AnalyzeSourceCommand = z.infer<typeof AnalyzeSourceCommand>;
