export * from './redact';
export * from './logger';
export * from './metrics';
export * from './tracing';
export * from './trace-export';
export * from './readiness';
export * from './telemetry';
export * from './health.module';
