import { CronExpressionParser } from 'cron-parser';
import { MAD_TO_SIGMA, mad, median } from '../statistics/robust';

/** How often a pipeline is expected to succeed, and where that came from. */
export interface ExpectedInterval {
  ms: number;
  /** Spread of the gaps between runs (MAD × 1.4826); 0 for a schedule. */
  spreadMs: number;
  basis: 'schedule' | 'median gap';
}

/** The gap between the schedule's two ticks after `from` (UTC); undefined for an invalid expression. */
export function scheduleInterval(schedule: string, from: Date): number | undefined {
  try {
    const cron = CronExpressionParser.parse(schedule, { currentDate: from, tz: 'UTC' });
    const first = cron.next().getTime();
    const second = cron.next().getTime();
    return second - first;
  } catch {
    return undefined;
  }
}

/**
 * The pipeline's interval: from its schedule when it has a valid one,
 * otherwise the median gap between the finishes of its runs (which needs
 * minHistory of them). Undefined when neither is known.
 */
export function expectedInterval(
  schedule: string | undefined,
  finishes: readonly string[],
  at: Date,
  minHistory: number,
): ExpectedInterval | undefined {
  const fromSchedule = schedule ? scheduleInterval(schedule, at) : undefined;
  if (fromSchedule !== undefined) return { ms: fromSchedule, spreadMs: 0, basis: 'schedule' };
  if (finishes.length < minHistory) return undefined;
  const times = finishes.map((f) => Date.parse(f)).sort((a, b) => a - b);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const typical = median(gaps);
  if (typical <= 0) return undefined;
  return { ms: typical, spreadMs: MAD_TO_SIGMA * mad(gaps), basis: 'median gap' };
}
