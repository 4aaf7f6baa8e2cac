/* eslint-disable @typescript-eslint/no-require-imports */
/** A fresh copy of the module: initTracing keeps the first provider it builds. */
const freshTracing = () => require('./tracing') as typeof import('./tracing');

describe('initTracing with onlyWhenExported', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('registers nothing when no span would be exported, and spans still run their work', async () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name];
    let tracing!: typeof import('./tracing');
    jest.isolateModules(() => (tracing = freshTracing()));
    expect(tracing.initTracing({ serviceName: 'quiet', onlyWhenExported: true })).toBeUndefined();
    await expect(
      tracing.inSpan('work', {}, async () => {
        expect(tracing.activeTraceContext()).toBeUndefined();
        return 42;
      }),
    ).resolves.toBe(42);
  });

  it('builds the provider when the environment asks for an exporter', async () => {
    process.env.OTEL_TRACES_EXPORTER = 'console';
    let tracing!: typeof import('./tracing');
    jest.isolateModules(() => (tracing = freshTracing()));
    const provider = tracing.initTracing({ serviceName: 'exported', onlyWhenExported: true });
    expect(provider).toBeDefined();
    await provider?.shutdown();
  });
});
