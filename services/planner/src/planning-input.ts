import { z } from 'zod';
import { Id, SourceProfile, TargetPolicy, TargetSpec, type PipelinePlan } from '@aoe/contracts';

/**
 * What a planning brain (the rules planner, or the model brain in `src/llm`) is
 * given: the source's profile, where the data goes, what the target's owner
 * allows, and the identity of the plan to write.
 */
export const PlanningInput = z.strictObject({
  profile: SourceProfile,
  target: TargetSpec,
  policy: TargetPolicy,
  pipelineId: Id,
  sourceId: Id,
  /** The plan version the brain writes (the pipeline's next one). */
  version: z.number().int().min(1),
});
export type PlanningInput = z.infer<typeof PlanningInput>;

/** A plan and, in one paragraph, why it looks as it does. */
export interface PlanningResult {
  plan: PipelinePlan;
  rationale: string;
}
