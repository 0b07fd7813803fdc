import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/web/sha';

/**
 * The waiting page's proof-of-work solver, run as a Web Worker (not a page: built as its own
 * bundle so the page can start it from /assets/, which the page CSP's worker-src allows).
 * altcha-lib's solveChallenge with its WebCrypto SHA-256, so the page stays responsive while the
 * person reads. Messages in: {challenge}; out: {type: 'progress', tried}, then {type: 'solved',
 * payload} (the ALTCHA payload, base64 JSON of {challenge, solution}) or {type: 'failed'}.
 */

/** How often progress is posted (a message per hash would cost more than the hash). */
const PROGRESS_EVERY_MS = 150;

interface SolverRequest {
  challenge: Challenge;
}
export type SolverMessage =
  | { type: 'progress'; tried: number }
  | { type: 'solved'; payload: string }
  | { type: 'failed'; reason: string };

const post = (message: SolverMessage) => self.postMessage(message);

self.onmessage = (event: MessageEvent<SolverRequest>) => {
  const { challenge } = event.data;
  let tried = 0;
  let lastPost = 0;
  const counting: typeof deriveKey = (parameters, salt, password) => {
    tried += 1;
    const now = performance.now();
    if (now - lastPost > PROGRESS_EVERY_MS) {
      lastPost = now;
      post({ type: 'progress', tried });
    }
    return deriveKey(parameters, salt, password);
  };
  solveChallenge({ challenge, deriveKey: counting }).then(
    (solution) => {
      if (!solution) return post({ type: 'failed', reason: 'no solution within the time limit' });
      // What the ALTCHA widget sends: base64 of the JSON of {challenge, solution}.
      post({ type: 'solved', payload: btoa(JSON.stringify({ challenge, solution })) });
    },
    (error: unknown) => post({ type: 'failed', reason: String(error) }),
  );
};
