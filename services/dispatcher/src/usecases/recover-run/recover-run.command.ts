import { z } from 'zod';
import { IsoDateTime, RecoveryRetry } from '@aoe/contracts';

export const RecoverRunCommand = RecoveryRetry.extend({
  messageId: z.string().min(1),
  correlationId: z.string().min(1),
  /** When the command was published: the delay counts from here, so a redelivery does not wait again. */
  publishedAt: IsoDateTime,
});
export type RecoverRunCommand = z.infer<typeof RecoverRunCommand>;
