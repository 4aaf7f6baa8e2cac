export * from './environment';
export * from './pglite';
