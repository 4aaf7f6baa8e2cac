import { CronExpressionParser } from 'cron-parser';

/**
 * The latest tick of a cron expression in (after, upTo], in UTC; undefined
 * when none falls there. Five fields (minute precision) or six (seconds first).
 * Throws on an invalid expression.
 */
export function latestTick(expression: string, after: Date, upTo: Date): Date | undefined {
  const cron = CronExpressionParser.parse(expression, { currentDate: new Date(upTo.getTime() + 1), tz: 'UTC' });
  const tick = cron.prev().toDate();
  return tick.getTime() > after.getTime() ? tick : undefined;
}

/** Why a cron expression is invalid, or undefined when it is fine. */
export function cronProblem(expression: string): string | undefined {
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC', strict: false });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
