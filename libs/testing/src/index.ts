export * from './environment';
export * from './s3-server';
export * from './faults';
