import { Module, type Provider, type Type } from '@nestjs/common';
import { clockProvider } from '@aoe/service-kit';
import { ConnectorProvider } from './connectors/connector.provider';
import { DispatcherConfig } from './dispatcher.config';
import { ActiveRuns } from './executor/active-runs';
import { ChainRunner } from './executor/chain-runner';
import { EmbeddedExecutor } from './executor/embedded.executor';
import { EXECUTOR, type Executor } from './executor/executor';
import { RunReporter } from './executor/run-reporter';
import { PlanOptimizedHandler } from './handlers/plan-optimized.handler';
import { RecoveryPauseHandler } from './handlers/recovery-pause.handler';
import { RecoveryRetryHandler } from './handlers/recovery-retry.handler';
import { RunCancelHandler } from './handlers/run-cancel.handler';
import { RunRequestedHandler } from './handlers/run-requested.handler';
import { SchedulerService } from './schedule/scheduler.service';
import { ActivatePlanUseCase } from './usecases/activate-plan/activate-plan.usecase';
import { CancelRunUseCase } from './usecases/cancel-run/cancel-run.usecase';
import { PausePipelineUseCase } from './usecases/recover-pause-pipeline/pause-pipeline.usecase';
import { CircuitGate } from './usecases/recover-run/circuit-gate';
import { RecoverRunUseCase } from './usecases/recover-run/recover-run.usecase';
import { RunTaskUseCase } from './usecases/run-task/run-task.usecase';
import { StartRunUseCase } from './usecases/start-run/start-run.usecase';
import { TriggerDueRunsUseCase } from './usecases/trigger-due-runs/trigger-due-runs.usecase';

/** What runs a chain of tasks: shared by the dispatcher and the worker. */
const runtimeProviders = [
  { provide: DispatcherConfig, useFactory: () => DispatcherConfig.fromEnv() },
  clockProvider,
  ConnectorProvider,
  RunReporter,
  ChainRunner,
];

/** What a deployment (or a test) may swap: the executor, and where connectors come from. */
export interface DispatcherOverrides {
  /** An Executor class (an Airflow executor); default EmbeddedExecutor. */
  executor?: Type<Executor>;
  /** A ConnectorProvider subclass. */
  connectors?: Type<ConnectorProvider>;
  /** Extra providers the overrides need. */
  providers?: Provider[];
}

function dispatcherProviders(overrides: DispatcherOverrides = {}): Provider[] {
  return [
    ...runtimeProviders.filter((p) => p !== ConnectorProvider),
    overrides.connectors ? { provide: ConnectorProvider, useClass: overrides.connectors } : ConnectorProvider,
    ActiveRuns,
    EmbeddedExecutor,
    overrides.executor
      ? { provide: EXECUTOR, useClass: overrides.executor }
      : { provide: EXECUTOR, useExisting: EmbeddedExecutor },
    ActivatePlanUseCase,
    StartRunUseCase,
    CancelRunUseCase,
    TriggerDueRunsUseCase,
    CircuitGate,
    RecoverRunUseCase,
    PausePipelineUseCase,
    SchedulerService,
    ...(overrides.providers ?? []),
  ];
}

const controllers = [
  PlanOptimizedHandler,
  RunRequestedHandler,
  RunCancelHandler,
  RecoveryRetryHandler,
  RecoveryPauseHandler,
];
const exported = [StartRunUseCase, CancelRunUseCase, TriggerDueRunsUseCase, ActivatePlanUseCase];

/**
 * Consumes aoe.evt.plan.optimized (activates the plan), aoe.cmd.run.requested
 * (runs it) and aoe.cmd.run.cancel; schedules pipelines with a cron schedule.
 * The executor is the embedded one; an Airflow executor goes under EXECUTOR.
 */
@Module({ controllers, providers: dispatcherProviders(), exports: exported })
export class DispatcherModule {
  /** The dispatcher with another executor or connector provider, as a module class (what startServiceApp mounts). */
  static with(overrides: DispatcherOverrides): Type {
    @Module({ controllers, providers: dispatcherProviders(overrides), exports: exported })
    class CustomDispatcherModule {}
    return CustomDispatcherModule;
  }
}

/** The worker (`aoe worker run-task`): runs one chain of a run and reports it; consumes nothing. */
@Module({
  providers: [...runtimeProviders, RunTaskUseCase],
  exports: [RunTaskUseCase],
})
export class DispatcherWorkerModule {}
