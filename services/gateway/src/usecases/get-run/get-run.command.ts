import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const GetRunCommand = z.strictObject({ id: Id });
export type GetRunCommand = z.infer<typeof GetRunCommand>;
