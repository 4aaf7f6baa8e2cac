import { z } from 'zod';
import { RunCancelRequested } from '@aoe/contracts';

export const CancelRunCommand = RunCancelRequested.extend({
  messageId: z.string().min(1),
  correlationId: z.string().min(1),
});
export type CancelRunCommand = z.infer<typeof CancelRunCommand>;
