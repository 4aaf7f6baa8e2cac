import { z } from 'zod';
import { Id } from '@aoe/contracts';

export const AcknowledgeAlertCommand = z.strictObject({ id: Id });
export type AcknowledgeAlertCommand = z.infer<typeof AcknowledgeAlertCommand>;
