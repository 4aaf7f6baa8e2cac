import { PlanTask, RunSettings } from '@aoe/contracts';
import { z } from 'zod';

/**
 * What a model chooses: the tasks and the run settings, and why. Everything
 * else of the plan (pipeline, source, version, target, policy) comes from the
 * planning input, so no answer can send data somewhere else.
 */
export const PlanProposal = z.strictObject({
  rationale: z
    .string()
    .min(1)
    .max(4_000)
    .describe('Why the plan looks as it does, in a few sentences for a data engineer.'),
  tasks: z.array(PlanTask).min(2).max(32).describe('The DAG: one extract, transforms and validations, one load.'),
  settings: RunSettings,
});
export type PlanProposal = z.infer<typeof PlanProposal>;

/**
 * How an answer is parsed: loosely, so that `validatePlanSafety` can say exactly
 * which task kind, operation or column is not allowed (and the rejected
 * proposal is recorded as the model gave it).
 */
export const PlanAnswer = z.object({
  rationale: z.string().max(4_000).default(''),
  tasks: z.array(z.unknown()).max(64),
  settings: z.unknown(),
});
export type PlanAnswer = z.infer<typeof PlanAnswer>;
