import type { PipelinePlan, RunSettings } from '@aoe/contracts';
import type { PlanningInput, PlanningResult } from '../planning-input';
import { chooseExtract } from './extract.rules';
import { chooseLoad } from './load.rules';
import { profileFacts } from './profile-facts';
import { chooseTransforms } from './transform.rules';
import { chooseValidations } from './validation.rules';

/** Conservative settings for a first run; the optimizer tunes them from the profile and run history. */
export const DEFAULT_BATCH_SIZE = 10_000;

export const TASK_IDS = { extract: 'extract', transform: 'transform', validate: 'validate', load: 'load' } as const;

/**
 * The rules planner: pure, offline and explainable. Reads the profile, decides
 * extract, transforms, validations and load, and says why in one paragraph.
 * `createdAt` is the profile's time, so the same input always gives the same
 * plan; the service stamps the time the plan is saved.
 */
export function planFromProfile(input: PlanningInput): PlanningResult {
  const facts = profileFacts(input.profile);
  const extract = chooseExtract(facts);
  const transforms = chooseTransforms(facts, input.policy);
  const casts = transforms.operations.filter((op) => op.op === 'cast').length;
  const validations = chooseValidations(facts, extract, transforms.masked, casts);
  const load = chooseLoad(facts, extract, input.target);
  const settings: RunSettings = {
    batchSize: DEFAULT_BATCH_SIZE,
    readParallelism: extract.partitions,
    loadConcurrency: 1,
  };

  const plan: PipelinePlan = {
    pipelineId: input.pipelineId,
    sourceId: input.sourceId,
    version: input.version,
    target: input.target,
    policy: input.policy,
    tasks: [
      {
        id: TASK_IDS.extract,
        dependsOn: [],
        kind: 'extract',
        params: {
          mode: extract.mode,
          ...(extract.cursorColumn ? { cursorColumn: extract.cursorColumn } : {}),
          partitions: extract.partitions,
        },
      },
      {
        id: TASK_IDS.transform,
        dependsOn: [TASK_IDS.extract],
        kind: 'transform',
        params: { operations: transforms.operations },
      },
      {
        id: TASK_IDS.validate,
        dependsOn: [TASK_IDS.transform],
        kind: 'validate',
        params: { rules: validations.rules, onFailure: validations.onFailure },
      },
      {
        id: TASK_IDS.load,
        dependsOn: [TASK_IDS.validate],
        kind: 'load',
        params: {
          mode: load.mode,
          ...(load.primaryKey ? { primaryKey: load.primaryKey } : {}),
          schemaEvolution: input.policy.schemaEvolution,
        },
      },
    ],
    settings,
    createdBy: 'rules',
    createdAt: input.profile.profiledAt,
  };

  const rationale = [
    ...extract.reasons,
    ...transforms.reasons,
    ...(transforms.operations.length === 0 ? ['No transform is needed: types match and nothing is masked.'] : []),
    ...validations.reasons,
    ...load.reasons,
    `Settings start at batches of ${settings.batchSize.toLocaleString('en-US')} rows, read parallelism ${settings.readParallelism} and load concurrency ${settings.loadConcurrency}; the optimizer tunes them.`,
  ].join(' ');
  return { plan, rationale };
}
