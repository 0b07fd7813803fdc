import { drawNumber as verifierDrawNumber } from '../../../../scripts/verify-draw';
import {
  ARRIVAL_OFFSET,
  arrivalScore,
  drawNumber,
  PRIORITY_BAND,
  preOpenScore,
  seedCommitment,
} from './queue-order';

describe('queue order', () => {
  it('serves higher priority first, whatever the arrival order', () => {
    expect(arrivalScore(9, 1_000_000)).toBeLessThan(arrivalScore(8, 1));
    expect(arrivalScore(1, 10 ** 12)).toBeLessThan(arrivalScore(0, 1));
  });

  it('keeps strict arrival order within a priority, one sequence number apart', () => {
    expect(arrivalScore(0, 41)).toBeLessThan(arrivalScore(0, 42));
    expect(arrivalScore(0, 42) - arrivalScore(0, 41)).toBe(1);
  });

  it('places a shuffled pre-queue ahead of later arrivals of the same priority only', () => {
    const maxDraw = ARRIVAL_OFFSET - 1;
    expect(preOpenScore(0, maxDraw)).toBeLessThan(arrivalScore(0, 1));
    expect(arrivalScore(1, 5)).toBeLessThan(preOpenScore(0, 0));
  });

  it('stays exact in doubles at the largest sequence a band can hold', () => {
    const largest = arrivalScore(0, PRIORITY_BAND - ARRIVAL_OFFSET - 1);
    expect(Number.isSafeInteger(largest)).toBe(true);
    expect(largest + 1).not.toBe(largest);
  });

  describe('the pre-queue draw (the published algorithm; test/draw.test.ts runs the Lua twin)', () => {
    // Vectors from an independent implementation (Python's hashlib):
    // int(sha1(seed.encode() + b'\0' + user.encode()).hexdigest()[:10], 16), sha256(seed.encode()).
    const seed = '00112233445566778899aabbccddeeff';
    it.each([
      [seed, 'alice', 116922538589],
      [seed, 'bob', 933744234105],
      ['f'.repeat(32), 'Zoë 🎟', 3909538655],
    ])('draw(%s, %j) = %d, in the service and in the verifier', (s, user, expected) => {
      expect(drawNumber(s, user)).toBe(expected);
      expect(verifierDrawNumber(s, user)).toBe(expected);
    });

    it('stays below 2^40, so a drawn place is ahead of every later arrival of its priority', () => {
      for (let i = 0; i < 1000; i++) expect(drawNumber(seed, `user-${i}`)).toBeLessThan(ARRIVAL_OFFSET);
    });

    it('commits to the seed with its SHA-256', () => {
      expect(seedCommitment(seed)).toBe('5947d7c33d783f94b3b4c1a96ebc8991ed28f1b069b71e03376cba8caa98a720');
    });
  });
});
