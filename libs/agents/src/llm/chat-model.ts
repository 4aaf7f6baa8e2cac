import type { ChatOpenAI } from '@langchain/openai';
import { LLM_DEFAULTS, resolveApiKey, type LlmConfig } from './llm-config';

/** What a local endpoint without authentication is sent as the key (the client insists on one). */
export const NO_API_KEY = 'no-key';

/**
 * A LangChain chat model for any OpenAI-compatible endpoint. Temperature 0,
 * no client retries (the guard falls back to rules instead of waiting), the
 * chat-completions protocol (never the Responses API), the key resolved from
 * its reference.
 */
export async function createChatModel(
  config: Pick<LlmConfig, 'model'> & Partial<LlmConfig>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChatOpenAI> {
  const apiKey = config.apiKey ? await resolveApiKey(config.apiKey, env) : NO_API_KEY;
  // LangChain is loaded only when a model is configured: rules-only agents never pay for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ChatOpenAI } = require('@langchain/openai') as typeof import('@langchain/openai');
  return new ChatOpenAI({
    model: config.model,
    temperature: config.temperature ?? LLM_DEFAULTS.temperature,
    maxTokens: config.maxTokens ?? LLM_DEFAULTS.maxTokens,
    timeout: config.timeoutMs ?? LLM_DEFAULTS.timeoutMs,
    maxRetries: 0,
    useResponsesApi: false,
    streaming: false,
    apiKey,
    configuration: config.baseURL ? { baseURL: config.baseURL } : {},
  });
}
