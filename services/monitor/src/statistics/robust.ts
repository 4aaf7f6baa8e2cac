/**
 * Robust statistics over a pipeline's own history: medians and MADs resist the
 * outliers the monitor looks for; EWMA follows a level that moves slowly;
 * Theil–Sen gives a trend that a few odd runs cannot bend.
 */

/** The scale factor that makes the MAD estimate a normal distribution's standard deviation. */
export const MAD_TO_SIGMA = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

export interface RobustBand {
  center: number;
  /** MAD × 1.4826: a standard deviation that outliers do not inflate. */
  scale: number;
  n: number;
}

export function robustBand(values: readonly number[]): RobustBand {
  return { center: median(values), scale: MAD_TO_SIGMA * mad(values), n: values.length };
}

export interface EwmaBand {
  /** Exponentially weighted mean (the newest value weighs `alpha`). */
  mean: number;
  /** Exponentially weighted standard deviation around that mean. */
  std: number;
  n: number;
}

/** EWMA mean and variance in one pass (West's incremental form), oldest value first. */
export function ewma(values: readonly number[], alpha = 0.2): EwmaBand {
  if (values.length === 0) throw new RangeError('ewma of no values');
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
  let mean = values[0];
  let variance = 0;
  for (const x of values.slice(1)) {
    const diff = x - mean;
    const increment = alpha * diff;
    mean += increment;
    variance = (1 - alpha) * (variance + diff * increment);
  }
  return { mean, std: Math.sqrt(variance), n: values.length };
}

export interface Trend {
  /** Theil–Sen slope: the median of the slopes between every pair of points. */
  slope: number;
  /** The median of y − slope·x: the line passes through it. */
  intercept: number;
  /** Kendall's tau (−1..1): how consistently the series moves in the slope's direction. */
  tau: number;
  n: number;
}

/** Theil–Sen estimator of y over x (x defaults to 0, 1, 2, ...). Needs two distinct x values. */
export function theilSen(ys: readonly number[], xs: readonly number[] = ys.map((_, i) => i)): Trend {
  if (ys.length !== xs.length) throw new RangeError('x and y differ in length');
  const slopes: number[] = [];
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < ys.length; i++) {
    for (let j = i + 1; j < ys.length; j++) {
      const dx = xs[j] - xs[i];
      const dy = ys[j] - ys[i];
      if (dx === 0) continue;
      slopes.push(dy / dx);
      const sign = Math.sign(dx) * Math.sign(dy);
      if (sign > 0) concordant++;
      else if (sign < 0) discordant++;
    }
  }
  if (slopes.length === 0) throw new RangeError('a trend needs two distinct x values');
  const slope = median(slopes);
  const intercept = median(ys.map((y, i) => y - slope * xs[i]));
  return { slope, intercept, tau: (concordant - discordant) / slopes.length, n: ys.length };
}

/** The trend line's value at x. */
export function project(trend: Trend, x: number): number {
  return trend.intercept + trend.slope * x;
}
