import { cronProblem, latestTick } from './cron';

describe('latestTick', () => {
  const at = (iso: string) => new Date(iso);

  it('finds the latest tick in (after, upTo], in UTC', () => {
    expect(latestTick('*/5 * * * *', at('2026-01-01T00:04:00Z'), at('2026-01-01T00:11:00Z'))).toEqual(
      at('2026-01-01T00:10:00Z'),
    );
    // upTo itself is included, after is not.
    expect(latestTick('*/5 * * * *', at('2026-01-01T00:04:00Z'), at('2026-01-01T00:05:00Z'))).toEqual(
      at('2026-01-01T00:05:00Z'),
    );
    expect(latestTick('*/5 * * * *', at('2026-01-01T00:05:00Z'), at('2026-01-01T00:09:59Z'))).toBeUndefined();
    expect(latestTick('0 3 * * *', at('2026-01-01T02:00:00Z'), at('2026-01-01T04:00:00Z'))).toEqual(
      at('2026-01-01T03:00:00Z'),
    );
    expect(latestTick('*/2 * * * * *', at('2026-01-01T00:00:00.500Z'), at('2026-01-01T00:00:03Z'))).toEqual(
      at('2026-01-01T00:00:02Z'),
    );
  });

  it('refuses an invalid expression', () => {
    expect(() => latestTick('every day', new Date(0), new Date())).toThrow();
    expect(cronProblem('every day')).toBeDefined();
    expect(cronProblem('@daily')).toBeUndefined();
  });
});
