import { Module } from '@nestjs/common';
import { clockProvider } from '@aoe/service-kit';
import { agentGuardProvider } from '@aoe/agents';
import { RunHistoryReader } from './history/run-history.reader';
import { OptimizePlanHandler } from './optimize-plan.handler';
import { OptimizerConfig } from './optimizer-config';
import { OptimizePlanUseCase } from './usecases/optimize-plan/optimize-plan.usecase';

/** Consumes aoe.evt.plan.drafted; tunes settings and extract mode from profile and run history (aoe.evt.plan.optimized). */
@Module({
  controllers: [OptimizePlanHandler],
  providers: [
    OptimizePlanUseCase,
    RunHistoryReader,
    agentGuardProvider,
    clockProvider,
    { provide: OptimizerConfig, useFactory: () => OptimizerConfig.fromEnvironment() },
  ],
})
export class OptimizerModule {}
