export * from './agent-guard.types';
