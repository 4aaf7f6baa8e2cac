import { Module } from '@nestjs/common';
import { agentGuardProvider } from '@aoe/agents';
import { AnalyzeSourceHandler } from './analyze-source.handler';
import { profileLimitsFromEnv } from './profiling/profile-limits';
import { SourceProfiler } from './profiling/source-profiler';
import { AnalyzeSourceUseCase } from './usecases/analyze-source/analyze-source.usecase';

/** Consumes aoe.cmd.source.analyze: profiles the source, stores the profile, publishes aoe.evt.source.profiled. */
@Module({
  controllers: [AnalyzeSourceHandler],
  providers: [
    AnalyzeSourceUseCase,
    { provide: SourceProfiler, useFactory: () => new SourceProfiler({ limits: profileLimitsFromEnv() }) },
    agentGuardProvider,
  ],
})
export class SourceAnalysisModule {}
