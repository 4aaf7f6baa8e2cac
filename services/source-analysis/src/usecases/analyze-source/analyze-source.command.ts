import { z } from 'zod';
import { AnalyzeSource } from '@aoe/contracts';

export const AnalyzeSourceCommand = AnalyzeSource.extend({
  /** The envelope id: the analysis is acted on once, whichever replica gets it and however often. */
  messageId: z.string().min(1),
  subject: z.string().min(1),
  /** The pipeline run or request the command belongs to; the SourceProfiled event carries it on. */
  correlationId: z.string().min(1),
  /** The bus will not deliver this command again after this attempt: a failure now is final. */
  lastAttempt: z.boolean().default(false),
});
export type AnalyzeSourceCommand = z.input<typeof AnalyzeSourceCommand>;
