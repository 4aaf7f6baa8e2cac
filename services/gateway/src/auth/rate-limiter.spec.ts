import { GatewayConfig } from '../config/gateway.config';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('lets a burst through, then refills at the rate, per principal', () => {
    const limiter = new RateLimiter(
      GatewayConfig.fromEnvironment({ AOE_RATE_LIMIT_RPS: '2', AOE_RATE_LIMIT_BURST: '2' }),
    );
    let now = 0;
    limiter.now = () => now;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1]);
    expect(limiter.take('b')).toBe(0);
    now = 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
  });

  it('refuses an invalid environment', () => {
    expect(() => GatewayConfig.fromEnvironment({ AOE_RATE_LIMIT_RPS: '-1' })).toThrow(/AOE_RATE_LIMIT_RPS/);
    expect(GatewayConfig.fromEnvironment({}).jwt).toBeUndefined();
  });
});
