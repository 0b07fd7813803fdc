/**
 * Turns a running total kept elsewhere (a plain number on a service, such as
 * AdmissionScheduler.totals.admitted) into the increments a prom-client Counter takes.
 *
 * Why counters fed by deltas, and not gauges set to the total: these numbers count what this
 * process did, they only grow, and they restart at 0 with the process. That is a Prometheus
 * counter exactly, so rate()/increase() handle restarts and sum() across replicas is the
 * cluster figure. A gauge would hide the restarts (a drop to 0 looks like a real decrease).
 */
export class CounterMirror {
  private readonly seen = new Map<string, number>();

  /** How much `key` grew since the last call (all of it on the first call). */
  delta(key: string, total: number): number {
    const previous = this.seen.get(key) ?? 0;
    this.seen.set(key, total);
    // A total that went down was reset at its source: everything since then is new.
    return total >= previous ? total - previous : total;
  }
}
