import { advisoryLockKey } from './advisory-lock-key';

describe('advisoryLockKey', () => {
  it('is a stable signed 64-bit integer per name', () => {
    const key = advisoryLockKey('aoe-store-migrations:aoe');
    expect(key).toBe(advisoryLockKey('aoe-store-migrations:aoe'));
    expect(key).toMatch(/^-?\d+$/);
    const value = BigInt(key);
    expect(value >= -(2n ** 63n) && value < 2n ** 63n).toBe(true);
  });

  it('differs between schemas', () => {
    expect(advisoryLockKey('aoe-store-migrations:a')).not.toBe(advisoryLockKey('aoe-store-migrations:b'));
  });
});
