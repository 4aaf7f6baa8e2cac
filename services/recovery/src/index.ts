export * from './recovery.module';
export { RecoveryConfig, DEFAULT_RECOVERY_SETTINGS, type RecoverySettings } from './recovery-config';
export { RecoveryMetrics } from './metrics/recovery.metrics';
export { classifyFailure, type Classification, type FailureClass } from './classification/classify-failure';
export { fullJitterBackoff, circuitCooldown } from './policy/backoff';
export * from './policy/recovery-choice';
export { RulesRecoveryBrain } from './policy/rules-recovery.brain';
export { llmRecoveryBrain, RecoveryBrains, llmRecoveryBrainFromEnvironment } from './decision/llm-recovery.brain';
export {
  RecoverFailureUseCase,
  SERVICE,
  type RecoverFailureResult,
} from './usecases/recover-failure/recover-failure.usecase';
export { CloseCircuitUseCase } from './usecases/close-circuit/close-circuit.usecase';
