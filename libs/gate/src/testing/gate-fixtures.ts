import type { WaitroomGateOptions } from '../waitroom-gate';
import { admissionToken, waitroomKey, type WaitroomKey } from './admission-token-fixtures';

/**
 * Fixtures of the gate's specs (not exported by the library): the gate each adapter's spec puts
 * in front of its routes, and the rule for the pass cookie's Secure attribute.
 */

export interface PinnedKeyGate {
  key: WaitroomKey;
  /** A pass signed with `key`, for event `ev-1`. */
  token: string;
  /** A gate for event `ev-1` whose waiting page is at https://queue.example.com, pinning `key`. */
  options: WaitroomGateOptions;
}

export async function pinnedKeyGate(): Promise<PinnedKeyGate> {
  const key = await waitroomKey();
  return {
    key,
    token: await admissionToken(key),
    options: { eventId: 'ev-1', waitroomUrl: 'https://queue.example.com', keys: { keys: [key.jwk] } },
  };
}

/**
 * [protocol, Host header, whether the pass cookie is Secure]: always, except over plain http to
 * the local machine (localhost, 127.0.0.1, [::1]), where browsers would drop a Secure cookie.
 */
export const SECURE_COOKIE_CASES = [
  ['http', 'localhost', false],
  ['http', 'localhost:3000', false],
  ['http', '127.0.0.1', false],
  ['http', '127.0.0.1:8080', false],
  ['http', '[::1]:8080', false],
  ['http', 'LOCALHOST', false],
  ['https', 'localhost:3000', true],
  ['http', 'shop.example.com', true],
  ['http', 'localhost.example.com', true],
  ['http', '127.0.0.2', true],
  ['http', undefined, true],
  ['https', 'shop.example.com', true],
] as const;
