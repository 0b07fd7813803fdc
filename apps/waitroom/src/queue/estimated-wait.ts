/**
 * Estimated wait for the person at `position`, from the admission-rate estimate the admission
 * step keeps in Redis (people per second, an exponentially weighted moving average with a 30 s
 * time constant, see admission-tick-9.lua). Null while the rate is unknown or nobody moves
 * (paused, closed, not yet open): a guess there would be a promise we cannot keep.
 */
export function estimatedWaitSeconds(
  position: number | null,
  admissionRatePerSecond: number | null,
  moving: boolean,
): number | null {
  if (position === null || !moving || admissionRatePerSecond === null || !(admissionRatePerSecond > 0))
    return null;
  return Math.ceil(position / admissionRatePerSecond);
}
