import { z } from 'zod';
import { RunRequested } from '@aoe/contracts';

export const StartRunCommand = RunRequested.extend({
  /** The envelope id of the request. */
  messageId: z.string().min(1),
  correlationId: z.string().min(1),
});
export type StartRunCommand = z.infer<typeof StartRunCommand>;
