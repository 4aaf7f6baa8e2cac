export * from './environment';
export * from './s3-server';
