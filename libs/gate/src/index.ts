export * from './admission-token-verifier';
export * from './remote-key-set';
export * from './pass-cookie';
export * from './waitroom-gate';
export * from './identity-token';
export * from './adapters/node-http';
export * from './adapters/fastify';
export * from './adapters/nest';
