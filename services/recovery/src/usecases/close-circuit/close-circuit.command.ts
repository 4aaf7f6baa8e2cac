import { z } from 'zod';
import { RunEvent } from '@aoe/contracts';

/** A succeeded run: its source works again. */
export const CloseCircuitCommand = RunEvent.extend({ status: z.literal('succeeded') });
export type CloseCircuitCommand = z.infer<typeof CloseCircuitCommand>;
