export * from './expression-columns';
export * from './plan-safety';
export * from './plan-proposal';
export * from './plan-prompt';
export * from './llm-plan.brain';
export * from './plan-decision';
