export * from './agent-guard.types';
export * from './agent-guard';
export * from './agent-guard.errors';
export * from './decision-sinks';
export * from './input-digest';
export * from './lru-cache';
