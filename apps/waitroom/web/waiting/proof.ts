import type { Challenge } from 'altcha-lib';
import type { SolverMessage } from '../pow-solver/main';

/** A solved challenge this close to its expiry is not used: a fresh one is solved instead. */
const EXPIRY_MARGIN_MS = 20_000;
/** Wait before asking again for a challenge the service could not give (503, no network). */
const RETRY_MS = 5_000;

interface ProofOptions {
  /** GET URL of the event's challenge. */
  challengeUrl: string;
  /** The solver worker's script (/assets/pow-solver/main-<hash>.js). */
  solverUrl: string;
  /** The event's bot_check_max_number: the most hashes a solve takes, for the progress shown. */
  maxNumber: number;
  /** Share of the work done, 0..1 while solving, 1 once solved. */
  progress: (done: number) => void;
  /** The service could not give a challenge; solving is tried again by itself. */
  unavailable: () => void;
}

export class ProofFailed extends Error {}

interface Solved {
  payload: string;
  expiresAtMs: number;
}

/**
 * The bot check on the waiting page: fetches the event's ALTCHA challenge and solves it in a Web
 * Worker (web/pow-solver) while the person reads, so Join is ready when they are. A proof buys one
 * join: `take()` hands it over and the next one is solved afresh.
 */
export class ProofOfWork {
  private pending: Promise<Solved | null> | null = null;

  constructor(private readonly options: ProofOptions) {}

  /** Starts solving unless a proof is solved or being solved; resolves when it is ready. */
  prepare(): Promise<Solved | null> {
    if (!this.pending) {
      const attempt = this.solveFresh();
      this.pending = attempt;
      // A failed attempt is not kept: the next prepare() tries again.
      attempt.catch(() => {
        if (this.pending === attempt) this.pending = null;
      });
    }
    return this.pending;
  }

  /**
   * The proof for a join (null: the event no longer asks for one), solving one first if need be.
   * `fresh`: the last one was refused, so never reuse what is there.
   */
  async take(fresh = false): Promise<string | null> {
    if (fresh) this.pending = null;
    let solved = await this.prepare();
    if (solved && solved.expiresAtMs - Date.now() < EXPIRY_MARGIN_MS) {
      this.pending = null;
      solved = await this.prepare();
    }
    this.pending = null;
    return solved?.payload ?? null;
  }

  private async solveFresh(): Promise<Solved | null> {
    const challenge = await this.fetchChallenge();
    if (!challenge) return null;
    this.options.progress(0);
    const payload = await this.solve(challenge);
    this.options.progress(1);
    return { payload, expiresAtMs: (challenge.parameters.expiresAt ?? Infinity) * 1000 };
  }

  /** The challenge, or null when the event does not ask for a proof (any more). */
  private async fetchChallenge(): Promise<Challenge | null> {
    for (;;) {
      try {
        const response = await fetch(this.options.challengeUrl, { cache: 'no-store' });
        if (response.status === 404) return null;
        if (response.ok) return (await response.json()) as Challenge;
      } catch {
        // no network: as a 503
      }
      this.options.unavailable();
      await new Promise((resolve) => window.setTimeout(resolve, RETRY_MS));
    }
  }

  private solve(challenge: Challenge): Promise<string> {
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = new Worker(this.options.solverUrl);
      } catch (error) {
        return reject(new ProofFailed(String(error)));
      }
      worker.onmessage = (event: MessageEvent<SolverMessage>) => {
        const message = event.data;
        if (message.type === 'progress') {
          this.options.progress(Math.min(0.99, message.tried / this.options.maxNumber));
          return;
        }
        worker.terminate();
        if (message.type === 'solved') resolve(message.payload);
        else reject(new ProofFailed(message.reason));
      };
      worker.onerror = (event) => {
        worker.terminate();
        reject(new ProofFailed(event.message || 'the solver stopped'));
      };
      worker.postMessage({ challenge });
    });
  }
}
