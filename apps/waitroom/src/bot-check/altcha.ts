import type * as AltchaLib from 'altcha-lib/dist/cjs/v2/index';
import type * as AltchaSha from 'altcha-lib/dist/cjs/v2/algorithms/sha';

/*
 * altcha-lib (v2 API) with its types. The package declares its entry points and types only in
 * package.json "exports", which this project's `moduleResolution: "node"` does not read; Node's
 * require does. So the types come from the files and the values from the package's own entries.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const altcha = require('altcha-lib') as typeof AltchaLib;
/** SHA-256 key derivation with node:crypto (the browser solver uses altcha-lib's WebCrypto twin). */
export const deriveShaKey = (require('altcha-lib/algorithms/sha') as typeof AltchaSha).deriveKey;
/* eslint-enable @typescript-eslint/no-require-imports */

export type { Challenge, Payload, Solution } from 'altcha-lib/dist/cjs/v2/types';
