import { z } from 'zod';
import { Id } from '@aoe/contracts';
import { BooleanParam } from '../../http/schemas';

export const ReplayDeadLetterQuery = z.strictObject({
  /** Replay again although it was replayed before. */
  force: z.union([z.boolean(), BooleanParam]).optional(),
});

export const ReplayDeadLetterCommand = ReplayDeadLetterQuery.extend({ id: Id });
export type ReplayDeadLetterCommand = z.input<typeof ReplayDeadLetterCommand>;
