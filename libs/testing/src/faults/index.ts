export * from './tcp-fault-proxy';
export * from './faulty-http-api';
export * from './file-dataset';
export * from './service-process';
export * from './fault-schedule';
export * from './apply-fault';
export * from './seeded-random';
export * from './wait';
