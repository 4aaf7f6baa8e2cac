import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const CancelRunBody = z.strictObject({ reason: z.string().min(1).max(500).optional() });
export type CancelRunBody = z.infer<typeof CancelRunBody>;

export const CancelRunCommand = CancelRunBody.extend({ id: Id, requestedBy: z.string().min(1) });
export type CancelRunCommand = z.infer<typeof CancelRunCommand>;
