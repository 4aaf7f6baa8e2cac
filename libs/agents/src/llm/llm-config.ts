import { readFile } from 'node:fs/promises';
import { hasInlinePassword, SecretRef } from '@aoe/contracts';
import type { DecisionBudget } from '../agent-guard.types';

/**
 * How to reach a model: any endpoint that speaks the OpenAI chat-completions
 * protocol (OpenAI, Azure-compatible gateways, vLLM, Ollama, LM Studio, LiteLLM).
 * The API key is a reference (`{ env }` or `{ file }`), resolved when the model
 * is created and never logged or stored.
 */
export interface LlmConfig {
  model: string;
  /** `https://host/v1`; the OpenAI API when absent. */
  baseURL?: string;
  /** Where the key lives. Absent: the endpoint needs none (a local server). */
  apiKey?: SecretRef;
  /** Always 0 unless set in code: decisions should not be creative. */
  temperature: number;
  /** Wall time for one answer (also the guard's time budget). */
  timeoutMs: number;
  /** The most tokens one answer may have (`max_tokens`). */
  maxTokens: number;
  /** Tokens (prompt and answer) one proposal may use (the guard's token budget). */
  tokenBudget: number;
}

export const LLM_DEFAULTS = { temperature: 0, timeoutMs: 20_000, maxTokens: 4_000, tokenBudget: 30_000 } as const;

/** A configuration problem; its message names the variable, never a secret. */
export class LlmConfigError extends Error {
  override readonly name = 'LlmConfigError';
  readonly code = 'AGENT_LLM_CONFIG';
}

/**
 * The model configuration from the environment, or undefined when no model is
 * configured (rules only):
 *
 * - `AOE_LLM_MODEL`: the model name; unset or empty turns the model brain off
 * - `AOE_LLM_BASE_URL`: the OpenAI-compatible endpoint (`http(s)://host[:port]/v1`)
 * - `AOE_LLM_API_KEY_ENV`: the NAME of the variable holding the key (or `AOE_LLM_API_KEY_FILE`: a file holding it)
 * - `AOE_LLM_TIMEOUT_MS`, `AOE_LLM_MAX_TOKENS`, `AOE_LLM_TOKEN_BUDGET`: budgets
 */
export function readLlmConfig(env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  const model = env.AOE_LLM_MODEL?.trim();
  if (!model) return undefined;

  const baseURL = env.AOE_LLM_BASE_URL?.trim() || undefined;
  if (baseURL !== undefined) {
    let url: URL;
    try {
      url = new URL(baseURL);
    } catch {
      throw new LlmConfigError('AOE_LLM_BASE_URL is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new LlmConfigError('AOE_LLM_BASE_URL must be http(s)');
    if (hasInlinePassword(baseURL)) {
      throw new LlmConfigError('AOE_LLM_BASE_URL must not carry a password; name the key with AOE_LLM_API_KEY_ENV');
    }
  }

  const keyEnv = env.AOE_LLM_API_KEY_ENV?.trim() || undefined;
  const keyFile = env.AOE_LLM_API_KEY_FILE?.trim() || undefined;
  if (keyEnv && keyFile) throw new LlmConfigError('set AOE_LLM_API_KEY_ENV or AOE_LLM_API_KEY_FILE, not both');
  let apiKey: SecretRef | undefined;
  if (keyEnv || keyFile) {
    const parsed = SecretRef.safeParse(keyEnv ? { env: keyEnv } : { file: keyFile });
    if (!parsed.success) throw new LlmConfigError('AOE_LLM_API_KEY_ENV must be an environment variable name');
    apiKey = parsed.data;
  }

  return {
    model,
    ...(baseURL ? { baseURL } : {}),
    ...(apiKey ? { apiKey } : {}),
    temperature: LLM_DEFAULTS.temperature,
    timeoutMs: positiveInt(env, 'AOE_LLM_TIMEOUT_MS', LLM_DEFAULTS.timeoutMs),
    maxTokens: positiveInt(env, 'AOE_LLM_MAX_TOKENS', LLM_DEFAULTS.maxTokens),
    tokenBudget: positiveInt(env, 'AOE_LLM_TOKEN_BUDGET', LLM_DEFAULTS.tokenBudget),
  };
}

/** The guard's budgets that match a model configuration. */
export function llmBudget(config: Pick<LlmConfig, 'timeoutMs' | 'tokenBudget'>): DecisionBudget {
  return { timeMs: config.timeoutMs, tokens: config.tokenBudget };
}

/** The key a SecretRef names. Errors name the reference, never the value. */
export async function resolveApiKey(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new LlmConfigError(`the model API key variable ${ref.env} is not set`);
    return value;
  }
  let text: string;
  try {
    text = await readFile(ref.file, 'utf8');
  } catch (error) {
    throw new LlmConfigError(
      `the model API key file ${ref.file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const value = text.trim();
  if (!value) throw new LlmConfigError(`the model API key file ${ref.file} is empty`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new LlmConfigError(`${name} must be a positive whole number`);
  return value;
}
