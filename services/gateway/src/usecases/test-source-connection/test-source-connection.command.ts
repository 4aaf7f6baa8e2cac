import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const TestSourceConnectionCommand = z.strictObject({ id: Id });
export type TestSourceConnectionCommand = z.infer<typeof TestSourceConnectionCommand>;
