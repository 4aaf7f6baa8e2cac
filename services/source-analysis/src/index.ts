export * from './source-analysis.module';
export * from './profiling';
export {
  AnalyzeSourceUseCase,
  SERVICE,
  type AnalyzeSourceResult,
} from './usecases/analyze-source/analyze-source.usecase';
export { FAILURE_POLICY, classifyFailure } from './usecases/analyze-source/failure-policy';
