import { z } from 'zod';
import { Id } from '@aoe/contracts';
import { CronExpression } from '../../http/schemas';

/** A cron expression, or null to stop running on a schedule. */
export const SchedulePipelineBody = z.strictObject({ schedule: CronExpression.nullable() });
export type SchedulePipelineBody = z.infer<typeof SchedulePipelineBody>;

export const SchedulePipelineCommand = SchedulePipelineBody.extend({ id: Id });
export type SchedulePipelineCommand = z.infer<typeof SchedulePipelineCommand>;
