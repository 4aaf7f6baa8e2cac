import { Module, type DynamicModule } from '@nestjs/common';
import { agentGuardProvider } from '@aoe/agents';
import { AnalyzeSourceHandler } from './analyze-source.handler';
import { SourceProfiler, sourceProfilerFromEnv } from './profiling/source-profiler';
import { AnalyzeSourceUseCase } from './usecases/analyze-source/analyze-source.usecase';

/** Consumes aoe.cmd.source.analyze: profiles the source, stores the profile, publishes aoe.evt.source.profiled. */
@Module({
  controllers: [AnalyzeSourceHandler],
  providers: [
    AnalyzeSourceUseCase,
    { provide: SourceProfiler, useFactory: () => sourceProfilerFromEnv() },
    agentGuardProvider,
  ],
})
export class SourceAnalysisModule {
  /**
   * The module with a profiler made outside it: embedded mode's, which the CLI
   * has already asked to profile the source ahead (SourceProfiler.profileAhead).
   */
  static withProfiler(profiler: SourceProfiler): DynamicModule {
    return { module: SourceAnalysisModule, providers: [{ provide: SourceProfiler, useValue: profiler }] };
  }
}
