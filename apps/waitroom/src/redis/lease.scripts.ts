import { defineScript, replyNumber } from './script-definition';

/** lease-1.lua: take or extend a lease; true if the caller holds it afterwards. */
export const leaseScript = defineScript({
  file: 'lease',
  build: (input: { key: string; ownerId: string; ttlMs: number }) => ({
    keys: [input.key],
    args: [input.ownerId, input.ttlMs],
  }),
  parse: (reply) => replyNumber('lease', reply) === 1,
});
