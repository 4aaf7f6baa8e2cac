import { z } from 'zod';

export const RunTaskCommand = z.strictObject({
  runId: z.string().min(1),
  /** A task of the run's plan: a load task runs its chain; another task is part of a chain and has nothing of its own to run. */
  taskId: z.string().min(1),
});
export type RunTaskCommand = z.infer<typeof RunTaskCommand>;
