/**
 * Queue order, the TypeScript twin of redis/scripts/includes/queue-order.lua (the script is what
 * runs; this copy documents and tests the arithmetic). Lower score is served first.
 *
 *   score = (9 - priority) * PRIORITY_BAND + ARRIVAL_OFFSET + arrival_sequence
 *   score = (9 - priority) * PRIORITY_BAND + draw            (joined before a shuffled opening)
 */
export const PRIORITY_BAND = 1e14;
export const ARRIVAL_OFFSET = 2 ** 40;
export const MAX_PRIORITY = 9;

export function arrivalScore(priority: number, sequence: number): number {
  return (MAX_PRIORITY - priority) * PRIORITY_BAND + ARRIVAL_OFFSET + sequence;
}

export function preOpenScore(priority: number, draw: number): number {
  return (MAX_PRIORITY - priority) * PRIORITY_BAND + draw;
}
