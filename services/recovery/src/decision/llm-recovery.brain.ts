import { z } from 'zod';
import {
  createChatModel,
  llmBudget,
  readLlmConfig,
  StructuredModelBrain,
  type Brain,
  type DecisionBudget,
  type StructuredModelBrainOptions,
} from '@aoe/agents';
import { MODEL_ACTIONS, type RecoveryChoice, type RecoveryInput } from '../policy/recovery-choice';

/** Loose on purpose: `checkChoice` names exactly what is not allowed. */
const Answer = z.object({
  action: z.string(),
  delayMs: z.number(),
  batchSize: z.number().int().optional(),
  rationale: z.string().min(1).max(2000),
});
type Answer = z.infer<typeof Answer>;

const ToolSchema = z.object({
  action: z.enum(MODEL_ACTIONS),
  delayMs: z.number().int().min(0),
  batchSize: z.number().int().min(1).optional(),
  rationale: z.string(),
});

const SYSTEM_PROMPT = [
  'You advise the recovery agent of a data platform on one failed pipeline run whose failure nobody could classify.',
  `Choose one action: ${MODEL_ACTIONS.join(', ')}.`,
  'retry runs the failed run again after delayMs; resume does the same when some loads already finished (they are skipped);',
  'shrink-batch runs it again with a smaller batchSize; pause stops the pipeline and calls a person.',
  'Stay within the settings in the data (maxDelayMs, minBatchSize, maxAttempts). Prefer pause when a retry cannot help.',
].join(' ');

/** What the model sees: the failure and its history, never connection details. */
function present(input: RecoveryInput): unknown {
  return {
    failure: { code: input.failure.code ?? null, message: input.failure.message.slice(0, 500) },
    taskKind: input.taskKind ?? null,
    attempt: input.attempt,
    earlier: input.earlier,
    batchSize: input.batchSize,
    finishedLoads: input.finishedLoads,
    settings: {
      maxAttempts: input.settings.maxAttempts,
      maxDelayMs: input.settings.maxDelayMs,
      minBatchSize: input.settings.minBatchSize,
    },
  };
}

function build(input: RecoveryInput, answer: Answer): { value: RecoveryChoice; rationale: string } {
  const action = answer.action as RecoveryChoice['action'];
  const batchSize = answer.batchSize ?? input.overrides.batchSize;
  const value: RecoveryChoice = {
    action,
    delayMs: Math.round(answer.delayMs),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(input.overrides.onBadRows ? { onBadRows: input.overrides.onBadRows } : {}),
    ...(action === 'pause' ? { alert: { kind: 'needs-attention', severity: 'critical' } } : {}),
    reason: answer.rationale,
  };
  return { value, rationale: answer.rationale };
}

export interface LlmRecoveryBrainOptions {
  model: StructuredModelBrainOptions<RecoveryInput, RecoveryChoice, Answer>['model'];
  name: string;
  budget?: Partial<DecisionBudget>;
}

/** The model's advice on an unknown failure; the guard checks it with `checkChoice` and falls back to rules. */
export function llmRecoveryBrain(options: LlmRecoveryBrainOptions): Brain<RecoveryInput, RecoveryChoice> {
  return new StructuredModelBrain({
    ...options,
    systemPrompt: SYSTEM_PROMPT,
    answer: Answer,
    toolSchema: ToolSchema,
    tool: {
      name: 'choose_recovery',
      description: 'Choose the recovery action for the failed run, with the rationale.',
    },
    present,
    build,
  });
}

/** The model brain configured by `AOE_LLM_*` (docs/agents.md), or undefined: rules only. */
export async function llmRecoveryBrainFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Brain<RecoveryInput, RecoveryChoice> | undefined> {
  const config = readLlmConfig(env);
  if (!config) return undefined;
  return llmRecoveryBrain({
    model: await createChatModel(config, env),
    name: config.model,
    budget: llmBudget(config),
  });
}

/** The brains recovery decides with: rules always; a model for unknown failures when configured. */
export class RecoveryBrains {
  constructor(
    readonly rules: Brain<RecoveryInput, RecoveryChoice>,
    readonly model?: Brain<RecoveryInput, RecoveryChoice>,
  ) {}
}
