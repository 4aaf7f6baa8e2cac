import { Module } from '@nestjs/common';
import { agentGuardProvider } from '@aoe/agents';
import { PlanBrains } from './decision/plan-brains';
import { llmPlanBrainFromEnvironment } from './llm';
import { RulesPlanBrain } from './rules/rules-plan.brain';
import { clockProvider } from '@aoe/service-kit';
import { DraftPlanHandler } from './draft-plan.handler';
import { DraftPlanUseCase } from './usecases/draft-plan/draft-plan.usecase';

/** Consumes aoe.evt.source.profiled; drafts, stores and publishes a pipeline plan (aoe.evt.plan.drafted). */
@Module({
  controllers: [DraftPlanHandler],
  providers: [
    DraftPlanUseCase,
    agentGuardProvider,
    clockProvider,
    {
      provide: PlanBrains,
      // The model brain only when AOE_LLM_* configures one; planning works offline with rules either way.
      useFactory: async () => new PlanBrains(new RulesPlanBrain(), await llmPlanBrainFromEnvironment()),
    },
  ],
})
export class PlannerModule {}
