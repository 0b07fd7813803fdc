/**
 * The longest a quiet event (paused, capacity full, nobody joining) goes without a step on an
 * instance: it bounds the delay of a wake-up this instance missed (the work's instance died),
 * and stays under the gap after which admission-tick's rate estimate restarts its measurement.
 */
export const QUIET_EVENT_STEP_MAX_MS = 4000;
