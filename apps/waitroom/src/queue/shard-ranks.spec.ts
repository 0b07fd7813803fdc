import { aheadOf, EXACT_RANKS, RANK_STEP } from './shard-ranks';
import type { ShardRankSample } from './shards.scripts';

/** A shard's queue sampled as shard-ranks-1.lua samples it. */
function sampleOf(scores: number[]): ShardRankSample {
  const sample: ShardRankSample = { length: scores.length, atMs: 0, sequence: 0, ranks: [], scores: [] };
  for (let rank = 0; rank < scores.length;) {
    sample.ranks.push(rank);
    sample.scores.push(scores[rank]);
    rank += rank < EXACT_RANKS ? 1 : Math.max(1, Math.floor(rank * RANK_STEP));
  }
  return sample;
}

describe("aheadOf: the people of one shard's sample ahead of a score", () => {
  // Every third arrival of an event, as one of three shards holds them.
  const queue = Array.from({ length: 30_000 }, (_, i) => 3 * i + 1);
  const exactAhead = (scores: number[], score: number) => scores.filter((s) => s < score).length;

  it('is exact near the head, never below the true count and within 1% of it beyond', () => {
    const sample = sampleOf(queue);
    for (const score of [0, 2, 50, 299, 301, 3_000, 45_000, 89_999, 90_001, 200_000]) {
      const exact = exactAhead(queue, score);
      const told = aheadOf(sample, score);
      expect(told).toBeGreaterThanOrEqual(exact);
      expect(told).toBeLessThanOrEqual(exact <= EXACT_RANKS ? exact : exact * (1 + RANK_STEP));
    }
  });

  it('never rises while the queue ahead only shrinks (admissions from the head, leaves anywhere)', () => {
    let scores = queue;
    const watched = [1_000, 30_001, 60_000, 89_000];
    let last = watched.map((score) => aheadOf(sampleOf(scores), score));
    for (let step = 0; step < 40; step++) {
      scores = scores.slice(37).filter((_, i) => i % 101 !== 5);
      const now = watched.map((score) => aheadOf(sampleOf(scores), score));
      now.forEach((told, i) => expect(told).toBeLessThanOrEqual(last[i]));
      last = now;
    }
  });
});
