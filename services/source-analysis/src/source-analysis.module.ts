import { Module } from '@nestjs/common';
import { AgentGuard, BusDecisionSink, StoreDecisionSink } from '@aoe/agents';
import { BUS, type Bus } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { AnalyzeSourceHandler } from './analyze-source.handler';
import { profileLimitsFromEnv } from './profiling/profile-limits';
import { SourceProfiler } from './profiling/source-profiler';
import { AnalyzeSourceUseCase, DECISION_GUARD } from './usecases/analyze-source/analyze-source.usecase';

/** Consumes aoe.cmd.source.analyze: profiles the source, stores the profile, publishes aoe.evt.source.profiled. */
@Module({
  controllers: [AnalyzeSourceHandler],
  providers: [
    AnalyzeSourceUseCase,
    { provide: SourceProfiler, useFactory: () => new SourceProfiler({ limits: profileLimitsFromEnv() }) },
    {
      provide: DECISION_GUARD,
      inject: [Store, BUS, Telemetry],
      useFactory: (store: Store, bus: Bus, telemetry: Telemetry) =>
        new AgentGuard({
          sinks: [new StoreDecisionSink(store.decisions), new BusDecisionSink(bus)],
          logger: telemetry.logger,
        }),
    },
  ],
})
export class SourceAnalysisModule {}
