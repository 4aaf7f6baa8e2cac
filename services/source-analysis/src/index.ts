export * from './source-analysis.module';
