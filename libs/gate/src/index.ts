export * from './admission-token-verifier';
export * from './remote-key-set';
