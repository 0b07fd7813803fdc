export * from './topics';
export * from './messages/produced';
export * from './messages/consumed';
export * from './messages/dead-letter';
export * from './validate';
export * from './http';
