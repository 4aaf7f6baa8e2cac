import { seededRandom } from '@aoe/testing';
import { normal } from '../../test/fixtures/runs';
import { ewma, MAD_TO_SIGMA, mad, median, project, robustBand, theilSen } from './robust';
import { incompleteBeta, logGamma, normalTail, studentQuantile, studentTail } from './student-t';

describe('median and MAD', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('is not moved by outliers, unlike the mean and standard deviation', () => {
    const values = [10, 11, 9, 10, 12, 8, 10, 1_000_000];
    expect(median(values)).toBe(10);
    expect(mad(values)).toBe(1);
    expect(robustBand(values)).toEqual({ center: 10, scale: MAD_TO_SIGMA, n: 8 });
  });

  it('estimates a normal standard deviation once scaled', () => {
    const random = seededRandom('mad');
    const values = Array.from({ length: 5000 }, () => 50 + 4 * normal(random));
    const band = robustBand(values);
    expect(band.center).toBeCloseTo(50, 0);
    expect(band.scale).toBeGreaterThan(3.8);
    expect(band.scale).toBeLessThan(4.2);
  });
});

describe('EWMA', () => {
  it('is the value itself for a constant series, with no spread', () => {
    expect(ewma([5, 5, 5, 5])).toEqual({ mean: 5, std: 0, n: 4 });
  });

  it('follows a level shift at the speed of alpha', () => {
    const series = [...Array<number>(20).fill(0), ...Array<number>(20).fill(10)];
    const slow = ewma(series, 0.1);
    const fast = ewma(series, 0.5);
    expect(fast.mean).toBeGreaterThan(slow.mean);
    expect(fast.mean).toBeCloseTo(10, 3);
    expect(slow.mean).toBeCloseTo(10 * (1 - 0.9 ** 20), 6);
    expect(slow.std).toBeGreaterThan(0);
  });

  it('estimates the spread of noise around the level', () => {
    const random = seededRandom('ewma');
    const band = ewma(
      Array.from({ length: 2000 }, () => 100 + 5 * normal(random)),
      0.05,
    );
    expect(band.mean).toBeGreaterThan(97);
    expect(band.mean).toBeLessThan(103);
    expect(band.std).toBeGreaterThan(4);
    expect(band.std).toBeLessThan(6);
  });

  it('refuses no values and an alpha outside (0, 1]', () => {
    expect(() => ewma([])).toThrow(RangeError);
    expect(() => ewma([1], 0)).toThrow(RangeError);
    expect(() => ewma([1], 1.5)).toThrow(RangeError);
  });
});

describe('Theil–Sen', () => {
  it('recovers a line exactly, with tau 1', () => {
    const trend = theilSen([3, 5, 7, 9, 11]);
    expect(trend).toEqual({ slope: 2, intercept: 3, tau: 1, n: 5 });
    expect(project(trend, 10)).toBe(23);
  });

  it('is not bent by a few wild points, unlike least squares', () => {
    const ys = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((y, i) => (i === 4 ? 500 : i === 7 ? -300 : y));
    const trend = theilSen(ys);
    expect(trend.slope).toBeCloseTo(1, 6);
    expect(trend.tau).toBeGreaterThan(0.5);
  });

  it('takes x values, and reports a falling series with negative tau', () => {
    const trend = theilSen([10, 8, 6], [0, 10, 20]);
    expect(trend.slope).toBeCloseTo(-0.2);
    expect(trend.tau).toBe(-1);
    expect(theilSen([4, 4, 4]).tau).toBe(0);
  });

  it('needs two distinct x values of the same length', () => {
    expect(() => theilSen([1, 2], [0, 0])).toThrow(RangeError);
    expect(() => theilSen([1, 2], [0])).toThrow(RangeError);
  });
});

describe('Student t', () => {
  it('matches known values', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 10);
    expect(incompleteBeta(0, 2, 2)).toBe(0);
    expect(incompleteBeta(1, 2, 2)).toBe(1);
    expect(studentTail(0, 5)).toBeCloseTo(0.5, 10);
    // t(0.975, 10) = 2.228; t(0.995, 3) = 5.841
    expect(studentQuantile(0.025, 10)).toBeCloseTo(2.228, 3);
    expect(studentQuantile(0.005, 3)).toBeCloseTo(5.841, 3);
    expect(normalTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalTail(-1.959964)).toBeCloseTo(0.975, 6);
  });

  it('tends to the normal quantile as the degrees of freedom grow', () => {
    expect(studentQuantile(normalTail(3.5), 10_000)).toBeCloseTo(3.5, 2);
  });
});
