export * from './config';
export * from './platform';
export * from './bootstrap';
export * from './http-tracing.middleware';
export * from './json-body.middleware';
export * from './clock.provider';
