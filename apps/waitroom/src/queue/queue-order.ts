import { createHash } from 'node:crypto';

/**
 * Queue order, the TypeScript twin of redis/scripts/includes/queue-order.lua (the script is what
 * runs; this copy documents and tests the arithmetic). Lower score is served first.
 *
 *   score = (9 - priority) * PRIORITY_BAND + ARRIVAL_OFFSET + arrival_sequence
 *   score = (9 - priority) * PRIORITY_BAND + draw            (joined before a shuffled opening)
 */
export const PRIORITY_BAND = 1e14;
export const ARRIVAL_OFFSET = 2 ** 40;
const MAX_PRIORITY = 9;

export function arrivalScore(priority: number, sequence: number): number {
  return (MAX_PRIORITY - priority) * PRIORITY_BAND + ARRIVAL_OFFSET + sequence;
}

/**
 * Whether a score is a plain arrival's: priority 0 after opening (the lowest band, past the draws).
 * Such a join is behind everyone already queued.
 */
export function isPlainArrival(score: number): boolean {
  return score >= MAX_PRIORITY * PRIORITY_BAND + ARRIVAL_OFFSET;
}

export function preOpenScore(priority: number, draw: number): number {
  return (MAX_PRIORITY - priority) * PRIORITY_BAND + draw;
}

/**
 * The pre-queue draw, as GET /events/:id/draw publishes it (and scripts/verify-draw.ts and the
 * waiting page recompute it). SHA-1 because it is what Redis's Lua has built in
 * (redis.sha1hex); the seed is secret until opening, so only preimage resistance matters here.
 * Two people with the same priority and the same draw (about one pair in 2^41 / n^2) are
 * served in an order the draw does not fix (the queue's member ids): either order is fair.
 */
export const DRAW_ALGORITHM =
  'draw = first 5 bytes of sha1(seed || 0x00 || user_id) as a big-endian integer ' +
  '(seed: its hex string as ASCII bytes; user_id: UTF-8); the pre-queue is served by priority ' +
  'descending, then draw ascending; equal draws in either order; seed_commitment = sha256(seed) in hex';

/** The draw of one user: an integer in 0 .. 2^40 - 1 (twin of queue-order.lua's draw_number). */
export function drawNumber(seed: string, userId: string): number {
  const digest = createHash('sha1')
    .update(seed, 'utf8')
    .update(Buffer.from([0]))
    .update(userId, 'utf8');
  return parseInt(digest.digest('hex').slice(0, 10), 16);
}

/** The commitment published before opening: hex SHA-256 of the seed's characters. */
export function seedCommitment(seed: string): string {
  return createHash('sha256').update(seed, 'utf8').digest('hex');
}
