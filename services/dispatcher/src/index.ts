export { DispatcherModule, DispatcherWorkerModule, type DispatcherOverrides } from './dispatcher.module';
export { dispatcherModuleFromEnv } from './dispatcher-from-env';
export { DispatcherConfig, type DispatcherSettings } from './dispatcher.config';
export { SERVICE as DISPATCHER_SERVICE, CANCEL_MARKER, scheduledRunId } from './ids';
export { EXECUTOR, type Executor, type RunExecution, type RunOutcome, type RunResources } from './executor/executor';
export { EmbeddedExecutor } from './executor/embedded.executor';
export { ChainRunner, type ChainOutcome, type ChainRequest, type ChainStatus } from './executor/chain-runner';
export { RunReporter, type RunScope, type RunEnd } from './executor/run-reporter';
export { planChains, chainOf, type Chain, type PlanChains } from './executor/chains';
export { ActiveRuns, DispatcherStopping } from './executor/active-runs';
export { ConnectorProvider, type OpenedTarget } from './connectors/connector.provider';
export { latestTick, cronProblem } from './schedule/cron';
export { SchedulerService } from './schedule/scheduler.service';
export {
  ActivatePlanUseCase,
  PipelineNotReadyError,
  type ActivatePlanResult,
} from './usecases/activate-plan/activate-plan.usecase';
export { StartRunUseCase, PlanNotReadyError } from './usecases/start-run/start-run.usecase';
export { CancelRunUseCase, type CancelRunResult } from './usecases/cancel-run/cancel-run.usecase';
export { TriggerDueRunsUseCase } from './usecases/trigger-due-runs/trigger-due-runs.usecase';
export { RunTaskUseCase, WorkerInputError, type RunTaskResult } from './usecases/run-task/run-task.usecase';
