import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `step(0)` … `step(count - 1)` spread evenly over `windowMs` from `startedAt`: step i waits
 * until startedAt + i × windowMs / count, with up to `concurrency` steps in flight, so a slow
 * answer delays the steps behind it only when every lane is busy. The fault tests pace their
 * joins this way across an outage, to know which joins fell before, during and after it.
 */
export async function paced(
  options: { count: number; windowMs: number; concurrency: number; startedAt: number },
  step: (index: number) => Promise<void>,
): Promise<void> {
  const { count, windowMs, concurrency, startedAt } = options;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const due = startedAt + (index * windowMs) / count;
      if (due > Date.now()) await sleep(due - Date.now());
      await step(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}
