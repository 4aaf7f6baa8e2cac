import { Module } from '@nestjs/common';
import { AnalyzeSourceHandler } from './analyze-source.handler';
import { RecordAnalysisRequestUseCase } from './usecases/record-analysis-request/record-analysis-request.usecase';

/** Consumes aoe.cmd.source.analyze; profiles sources (the profiler arrives with the agents issue). */
@Module({
  controllers: [AnalyzeSourceHandler],
  providers: [RecordAnalysisRequestUseCase],
})
export class SourceAnalysisModule {}
