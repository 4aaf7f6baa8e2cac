import { z } from 'zod';
import { AuditResult } from '@aoe/store';

export const RecordAuditCommand = z.strictObject({
  actor: z.string().min(1),
  action: z.string().min(1),
  target: z.string().optional(),
  result: AuditResult,
  statusCode: z.number().int(),
  requestId: z.string().optional(),
});
export type RecordAuditCommand = z.infer<typeof RecordAuditCommand>;
