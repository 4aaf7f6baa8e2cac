import 'reflect-metadata';
import { runMeshService } from '@aoe/service-kit';
import { SourceAnalysisModule } from './source-analysis.module';

void runMeshService('source-analysis', [SourceAnalysisModule]).catch((error: unknown) => {
  console.error(`source-analysis failed to start: ${(error as Error).message}`);
  process.exit(1);
});
