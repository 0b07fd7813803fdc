import type { KeyGate } from './key-gate';

/**
 * Runs `step` again `delayMs()` after each run ends (never two at once, unlike setInterval),
 * waiting while there is no admin key. `step` handles its own errors; returning false stops it.
 */
export function poll(gate: KeyGate, delayMs: () => number, step: () => Promise<boolean | void>): void {
  const run = async (): Promise<void> => {
    await gate.ready();
    let again: boolean | void = true;
    try {
      again = await step();
    } catch {
      // the step reports its own errors; keep polling
    }
    if (again !== false) window.setTimeout(() => void run(), delayMs());
  };
  void run();
}
