import { z } from 'zod';
import { AgentDecision, Id } from '@aoe/contracts';
import { PageQuery } from '../../http/schemas';

export const ListDecisionsCommand = PageQuery.extend({
  /** The pipeline, source or run the decisions are about. */
  subjectId: Id.optional(),
  /** Decisions made within one run (its correlation id). */
  runId: Id.optional(),
  agent: AgentDecision.shape.agent.optional(),
});
export type ListDecisionsCommand = z.input<typeof ListDecisionsCommand>;
