import { normalTail, studentQuantile } from '../statistics/student-t';
import type { Alert } from '@aoe/contracts';

/** What a detector saw: an anomaly the monitor's rules brain judges into an alert. */
export interface Finding {
  kind: Alert['kind'];
  pipelineId: string;
  /** The run the alert is about; with pipeline and kind, the alert's dedupe key. */
  runId?: string;
  /** When it was seen (the run's finish, or the freshness check's clock). */
  at: string;
  /** One line for a person. */
  summary: string;
  /** How far past its band the value is, in band widths (≥ 1 means it crossed it); drives severity. */
  score: number;
  evidence: Record<string, unknown>;
}

/** How the detectors judge a value against the pipeline's own history. */
export interface DetectionOptions {
  /** Runs of history a band needs before it judges anything. */
  minHistory: number;
  /** Robust z-score a value must pass (modified z-score: 3.5 is Iglewicz and Hoaglin's outlier rule). */
  k: number;
  /** EWMA weight of the newest value. */
  ewmaAlpha: number;
  /** Runs the trend detector fits (the newest ones, the current run included). */
  trendWindow: number;
  /** Runs ahead the trend is projected. */
  trendHorizon: number;
  /** Kendall's tau a trend needs: how consistently the series rises. */
  minTau: number;
  /** Smallest relative change the log-scale bands can resolve (a perfectly constant history). */
  minRelativeScale: number;
}

export const DEFAULT_DETECTION: DetectionOptions = {
  minHistory: 8,
  k: 3.5,
  ewmaAlpha: 0.2,
  trendWindow: 10,
  trendHorizon: 3,
  minTau: 0.6,
  minRelativeScale: 0.01,
};

/** Efficiency of the MAD as a scale estimate against the standard deviation (normal data). */
export const MAD_EFFICIENCY = 0.37;

/**
 * The robust z-score a value must pass with n runs of history. A band
 * estimated from n runs is itself uncertain, so k (a normal quantile) becomes
 * the Student t quantile of the same tail, with the degrees of freedom a MAD
 * from n values is worth (0.37 × (n − 1)), widened by √(1 + 1/n) for
 * predicting one new run: about 24 with 8 runs, 6.3 with 20, 5.0 with 30,
 * 4.2 with 60 (k = 3.5). Short histories judge only gross anomalies.
 */
export function threshold(options: DetectionOptions, n: number): number {
  const key = `${options.k}|${n}`;
  let value = thresholds.get(key);
  if (value === undefined) {
    const v = Math.max(1, MAD_EFFICIENCY * (n - 1));
    value = studentQuantile(normalTail(options.k), v) * Math.sqrt(1 + 1 / Math.max(1, n));
    if (thresholds.size > 10_000) thresholds.clear();
    thresholds.set(key, value);
  }
  return value;
}
const thresholds = new Map<string, number>();

/** Rounds evidence numbers so alerts read well (and digest stably). */
export function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
