export * from './connector';
export * from './secrets';
export * from './formats';
export * from './file';
export * from './s3';
export * from './http';
export * from './postgres';
