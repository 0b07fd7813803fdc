export * from './consumer-state';
export * from './raw-record-kafka.server';
export * from './retry-later';
export * from './start-in-background';
