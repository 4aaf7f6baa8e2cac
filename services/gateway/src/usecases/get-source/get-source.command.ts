import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const GetSourceCommand = z.strictObject({ id: Id });
export type GetSourceCommand = z.infer<typeof GetSourceCommand>;
