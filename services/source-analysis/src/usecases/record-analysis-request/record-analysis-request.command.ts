import { z } from 'zod';

export const RecordAnalysisRequestCommand = z.strictObject({
  sourceId: z.string().min(1),
  /** The envelope id: the request is acted on once, whichever replica gets it and however often. */
  messageId: z.string().min(1),
  subject: z.string().min(1),
});
export type RecordAnalysisRequestCommand = z.infer<typeof RecordAnalysisRequestCommand>;
