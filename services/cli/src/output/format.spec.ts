import { count } from './format';

describe('count', () => {
  it.each([0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 123_456_789, -1, -1234, -1_000_000, Number.MAX_SAFE_INTEGER])(
    'writes %d as toLocaleString("en-US") does',
    (n) => {
      expect(count(n)).toBe(n.toLocaleString('en-US'));
    },
  );

  it('leaves fractions to Intl', () => {
    expect(count(1234.5678)).toBe('1,234.568');
  });
});
