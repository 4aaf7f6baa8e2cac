import { z } from 'zod';
import { Alert, Id } from '@aoe/contracts';
import { BooleanParam, PageQuery } from '../../http/schemas';

export const ListAlertsCommand = PageQuery.extend({
  pipelineId: Id.optional(),
  runId: Id.optional(),
  severity: Alert.shape.severity.optional(),
  /** true: open (unacknowledged) alerts only; false: acknowledged ones. */
  open: z.union([z.boolean(), BooleanParam]).optional(),
});
export type ListAlertsCommand = z.input<typeof ListAlertsCommand>;
