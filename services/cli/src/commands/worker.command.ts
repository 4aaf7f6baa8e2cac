import { DispatcherWorkerModule, RunTaskUseCase, WorkerInputError } from '@aoe/dispatcher';
import { connectMeshPlatform, readServiceEnvironment, startServiceApp } from '@aoe/service-kit';
import { CliError, ExitCode, oneLine } from '../errors';
import { type CliIo, writeLine } from '../io';
import { count, duration } from '../output/format';

/** A failed task that running again cannot fix (a data-quality or plan problem): Airflow should not retry it. */
export const EXIT_NOT_RETRYABLE = 5;

/**
 * `aoe worker run-task --run <id> --task <id> [--json]`: what an Airflow task
 * calls, in mesh mode (NATS_URL, DATABASE_URL). Runs the chain ending in the
 * load task with the engine and reports to the store and the bus. Exit 0 when
 * it succeeded (or the task is fused into another task's chain), 1 when it
 * failed and a retry may help, 5 when it failed and a retry cannot help, 2 for
 * a run or task that does not exist, 130 when stopped by SIGTERM or SIGINT.
 */
export async function workerRunTask(
  options: { run: string; task: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  let env;
  try {
    env = readServiceEnvironment(io.env);
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.usage);
  }
  const platform = await connectMeshPlatform('worker', {
    natsUrl: env.NATS_URL,
    databaseUrl: env.DATABASE_URL,
    namespace: env.AOE_BUS_NAMESPACE,
    schema: env.AOE_STORE_SCHEMA,
  }).catch((error: unknown) => {
    throw new CliError(`cannot reach the mesh: ${oneLine((error as Error).message)}`, ExitCode.unreachable);
  });
  const service = await startServiceApp({
    service: 'worker',
    modules: [DispatcherWorkerModule],
    platform,
    listen: false,
    // The worker stops on SIGTERM itself: the load is aborted and rolled back, then the app is closed.
    shutdownHooks: false,
  });
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('the worker was stopped'));
  process.once('SIGTERM', stop);
  void io.interrupted?.then(stop);
  try {
    const result = await service.app
      .get(RunTaskUseCase)
      .execute({ runId: options.run, taskId: options.task }, controller.signal);
    if (result.kind === 'fused') {
      const line = `task "${options.task}" runs inside the chain of load task "${result.loadTaskId}": nothing to run on its own`;
      writeLine(
        io.stdout,
        options.json ? JSON.stringify({ status: 'fused', taskId: options.task, loadTaskId: result.loadTaskId }) : line,
      );
      return ExitCode.ok;
    }
    if (options.json) {
      writeLine(
        io.stdout,
        JSON.stringify({
          status: result.status,
          taskId: options.task,
          metrics: result.metrics,
          location: result.location,
          error: result.error,
        }),
      );
    }
    switch (result.status) {
      case 'succeeded':
        if (!options.json) {
          writeLine(
            io.stdout,
            `task "${options.task}" succeeded: ${count(result.metrics.rowsLoaded)} rows into ${result.location ?? 'the target'} in ${duration(result.metrics.durationMs)}`,
          );
        }
        return ExitCode.ok;
      case 'cancelled':
        writeLine(io.stderr, `aoe: task "${options.task}" was stopped`);
        return ExitCode.interrupted;
      case 'failed':
        writeLine(
          io.stderr,
          `aoe: task "${result.failedTaskId ?? options.task}" failed (${result.error?.class}): ${oneLine(result.error?.message ?? '')}`,
        );
        return result.error?.retryable ? ExitCode.failed : EXIT_NOT_RETRYABLE;
    }
  } catch (error) {
    if (error instanceof WorkerInputError) throw new CliError(error.message, ExitCode.usage);
    throw error;
  } finally {
    process.off('SIGTERM', stop);
    await service.close();
  }
}
