import { Module } from '@nestjs/common';
import { agentGuardProvider } from '@aoe/agents';
import { clockProvider } from '@aoe/service-kit';
import { llmRecoveryBrainFromEnvironment, RecoveryBrains } from './decision/llm-recovery.brain';
import { RunFailedHandler } from './handlers/run-failed.handler';
import { RunSucceededHandler } from './handlers/run-succeeded.handler';
import { RecoveryMetrics } from './metrics/recovery.metrics';
import { RulesRecoveryBrain } from './policy/rules-recovery.brain';
import { RecoveryConfig } from './recovery-config';
import { CloseCircuitUseCase } from './usecases/close-circuit/close-circuit.usecase';
import { RecoverFailureUseCase } from './usecases/recover-failure/recover-failure.usecase';

/**
 * Consumes aoe.evt.run.failed (classify, decide, act: aoe.cmd.recovery.*,
 * aoe.cmd.source.analyze for a re-plan, circuits, alerts) and
 * aoe.evt.run.succeeded (closes a source's circuit).
 */
@Module({
  controllers: [RunFailedHandler, RunSucceededHandler],
  providers: [
    RecoverFailureUseCase,
    CloseCircuitUseCase,
    RecoveryMetrics,
    agentGuardProvider,
    clockProvider,
    { provide: RecoveryConfig, useFactory: () => RecoveryConfig.fromEnvironment() },
    {
      provide: RecoveryBrains,
      // The model only when AOE_LLM_* configures one; rules decide either way.
      useFactory: async () => new RecoveryBrains(new RulesRecoveryBrain(), await llmRecoveryBrainFromEnvironment()),
    },
  ],
  exports: [RecoverFailureUseCase],
})
export class RecoveryModule {}
