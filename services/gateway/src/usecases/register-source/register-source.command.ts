import { z } from 'zod';
import { SourceRegistration } from '@aoe/contracts';

export const RegisterSourceCommand = SourceRegistration.extend({ correlationId: z.string().min(1) });
export type RegisterSourceCommand = z.infer<typeof RegisterSourceCommand>;
