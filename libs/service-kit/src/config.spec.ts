import { readServiceEnvironment } from './config';

const base = { NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://aoe@127.0.0.1:5432/aoe' };

describe('readServiceEnvironment', () => {
  it('fills the defaults: schema aoe, a store pool of 10, an OS-chosen port on 127.0.0.1', () => {
    expect(readServiceEnvironment(base)).toEqual({
      ...base,
      AOE_STORE_SCHEMA: 'aoe',
      AOE_STORE_POOL_SIZE: 10,
      HOST: '127.0.0.1',
      PORT: 0,
    });
  });

  it('reads the store pool size, and refuses one that is not a whole number from 1 to 100', () => {
    expect(readServiceEnvironment({ ...base, AOE_STORE_POOL_SIZE: '4' }).AOE_STORE_POOL_SIZE).toBe(4);
    for (const bad of ['0', '2.5', 'many', '101']) {
      expect(() => readServiceEnvironment({ ...base, AOE_STORE_POOL_SIZE: bad })).toThrow(/AOE_STORE_POOL_SIZE/);
    }
  });

  it('names every missing variable', () => {
    expect(() => readServiceEnvironment({})).toThrow(/NATS_URL: .*DATABASE_URL: /);
  });
});
