import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatModel, NO_API_KEY } from './chat-model';
import { LLM_DEFAULTS, LlmConfigError, llmBudget, readLlmConfig, resolveApiKey } from './llm-config';

describe('readLlmConfig', () => {
  it('is undefined without a model: rules only', () => {
    expect(readLlmConfig({})).toBeUndefined();
    expect(readLlmConfig({ AOE_LLM_MODEL: '  ' })).toBeUndefined();
  });

  it('reads the model, endpoint, key reference and budgets', () => {
    expect(
      readLlmConfig({
        AOE_LLM_MODEL: 'llama3.1',
        AOE_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
        AOE_LLM_API_KEY_ENV: 'OLLAMA_KEY',
        AOE_LLM_TIMEOUT_MS: '5000',
        AOE_LLM_MAX_TOKENS: '1000',
        AOE_LLM_TOKEN_BUDGET: '8000',
      }),
    ).toEqual({
      model: 'llama3.1',
      baseURL: 'http://127.0.0.1:11434/v1',
      apiKey: { env: 'OLLAMA_KEY' },
      temperature: 0,
      timeoutMs: 5000,
      maxTokens: 1000,
      tokenBudget: 8000,
    });
    expect(readLlmConfig({ AOE_LLM_MODEL: 'gpt-4o-mini', AOE_LLM_API_KEY_FILE: '/run/secrets/key' })).toEqual({
      model: 'gpt-4o-mini',
      apiKey: { file: '/run/secrets/key' },
      ...LLM_DEFAULTS,
    });
  });

  it.each([
    [{ AOE_LLM_BASE_URL: 'not a url' }, 'AOE_LLM_BASE_URL is not a URL'],
    [{ AOE_LLM_BASE_URL: 'ftp://host/v1' }, 'AOE_LLM_BASE_URL must be http(s)'],
    [{ AOE_LLM_BASE_URL: 'https://u:sk-secret@host/v1' }, 'must not carry a password'],
    [{ AOE_LLM_API_KEY_ENV: 'A', AOE_LLM_API_KEY_FILE: '/f' }, 'not both'],
    [{ AOE_LLM_API_KEY_ENV: 'not-a-name' }, 'an environment variable name'],
    [{ AOE_LLM_TIMEOUT_MS: '-1' }, 'AOE_LLM_TIMEOUT_MS must be a positive whole number'],
    [{ AOE_LLM_TOKEN_BUDGET: '1.5' }, 'AOE_LLM_TOKEN_BUDGET must be a positive whole number'],
  ])('refuses %j', (env, message) => {
    const read = () => readLlmConfig({ AOE_LLM_MODEL: 'm', ...env });
    expect(read).toThrow(LlmConfigError);
    expect(read).toThrow(message);
    try {
      read();
    } catch (error) {
      expect((error as Error).message).not.toContain('sk-secret');
    }
  });

  it('gives the guard budgets', () => {
    expect(llmBudget({ timeoutMs: 100, tokenBudget: 200 })).toEqual({ timeMs: 100, tokens: 200 });
  });
});

describe('resolveApiKey / createChatModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aoe-llm-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves an env or file reference, naming only the reference on failure', async () => {
    expect(await resolveApiKey({ env: 'K' }, { K: 'sk-1' })).toBe('sk-1');
    await expect(resolveApiKey({ env: 'K' }, {})).rejects.toThrow('the model API key variable K is not set');
    const file = join(dir, 'key');
    await writeFile(file, 'sk-from-file\n');
    expect(await resolveApiKey({ file })).toBe('sk-from-file');
    await writeFile(file, '  ');
    await expect(resolveApiKey({ file })).rejects.toThrow('is empty');
    await expect(resolveApiKey({ file: join(dir, 'missing') })).rejects.toThrow('cannot be read: ENOENT');
  });

  it('builds a chat-completions client with temperature 0 and no retries', async () => {
    const model = await createChatModel(
      { model: 'm', baseURL: 'http://127.0.0.1:1/v1', apiKey: { env: 'K' }, timeoutMs: 1234, maxTokens: 99 },
      { K: 'sk-test' },
    );
    expect(model.model).toBe('m');
    expect(model.temperature).toBe(0);
    expect(model.maxTokens).toBe(99);
    expect(model.timeout).toBe(1234);
    expect((model as unknown as { caller: { maxRetries: number } }).caller.maxRetries).toBe(0);
    expect(model.useResponsesApi).toBe(false);
    expect(model.apiKey).toBe('sk-test');
    expect(JSON.stringify(model.toJSON())).not.toContain('sk-test');
    expect((await createChatModel({ model: 'm' })).apiKey).toBe(NO_API_KEY);
  });
});
