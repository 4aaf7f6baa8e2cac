import type { z } from 'zod';
import { TaskEvent } from '@aoe/contracts';

/** A task event: counted by status. */
export const RecordTaskEventCommand = TaskEvent;
export type RecordTaskEventCommand = z.infer<typeof RecordTaskEventCommand>;
