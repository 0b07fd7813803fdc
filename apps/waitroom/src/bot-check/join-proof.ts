/**
 * The bot check's verdict on a join's proof of work, as the join script takes it (join-12.lua).
 * `valid`: signature, expiry and event checked; the script still refuses it if `id` was used.
 * `exempt`: a trusted caller. A bot check that is off ignores all of these.
 */
export type JoinProof =
  { kind: 'none' | 'invalid' | 'exempt' } | { kind: 'valid'; id: string; ttlMs: number };
