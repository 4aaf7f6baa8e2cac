export * from './connector';
export * from './secrets';
