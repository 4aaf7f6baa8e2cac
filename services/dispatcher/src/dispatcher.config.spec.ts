import { DispatcherConfig } from './dispatcher.config';

describe('DispatcherConfig', () => {
  it('reads its settings from the environment, with defaults', () => {
    expect(DispatcherConfig.fromEnv({})).toEqual({
      schedulerIntervalMs: 15_000,
      cancelPollMs: 1_000,
      progressIntervalMs: 1_000,
      maxParallelChains: 4,
      maxConcurrentRuns: 4,
      warehouseDir: '.aoe/warehouse',
    });
    expect(DispatcherConfig.fromEnv({ AOE_SCHEDULER_INTERVAL_MS: '0', AOE_HOME: '/srv/aoe' })).toMatchObject({
      schedulerIntervalMs: 0,
      warehouseDir: '/srv/aoe/warehouse',
    });
  });

  it('names what is wrong', () => {
    expect(() => DispatcherConfig.fromEnv({ AOE_MAX_PARALLEL_CHAINS: 'many' })).toThrow(/AOE_MAX_PARALLEL_CHAINS/);
  });
});
