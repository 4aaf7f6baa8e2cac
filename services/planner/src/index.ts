export * from './planner.module';
export * from './planning-input';
export { planFromProfile } from './rules/rules-planner';
export { checkPlan } from './decision/plan-checks';
