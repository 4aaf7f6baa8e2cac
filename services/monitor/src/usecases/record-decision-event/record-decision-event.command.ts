import type { z } from 'zod';
import { AgentDecision } from '@aoe/contracts';

/** A recorded agent decision (any agent's): counted by agent and who decided. */
export const RecordDecisionEventCommand = AgentDecision;
export type RecordDecisionEventCommand = z.infer<typeof RecordDecisionEventCommand>;
