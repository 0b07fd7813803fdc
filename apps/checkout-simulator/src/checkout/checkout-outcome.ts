import { drawDelay, type DelayRange } from './checkout-delay';

/** Why a simulated checkout fails; one is drawn for each failure. */
export const FAILURE_REASONS = ['payment_declined', 'card_expired', 'insufficient_funds'] as const;
type FailureReason = (typeof FAILURE_REASONS)[number];

export type CheckoutOutcome =
  { kind: 'completed'; delayMs: number } | { kind: 'failed'; delayMs: number; reason: FailureReason };

/**
 * Decides, when a checkout starts, how it ends and after how long. `random` returns [0, 1) like
 * Math.random, so tests pass a fixed sequence.
 */
export function decideOutcome(delay: DelayRange, failureRate: number, random: () => number): CheckoutOutcome {
  const delayMs = drawDelay(delay, random);
  if (random() < failureRate) {
    const reason =
      FAILURE_REASONS[Math.min(FAILURE_REASONS.length - 1, Math.floor(random() * FAILURE_REASONS.length))];
    return { kind: 'failed', delayMs, reason };
  }
  return { kind: 'completed', delayMs };
}
