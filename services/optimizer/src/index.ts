export * from './optimizer.module';
export { OptimizerConfig } from './optimizer-config';
export { BOUNDS } from './tuning/bounds';
export { optimize, applyOptimization, type Optimization, type OptimizationInput } from './tuning/optimize';
export type { RunObservation } from './tuning/run-observation';
