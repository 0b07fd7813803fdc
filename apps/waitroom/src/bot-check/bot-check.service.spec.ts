import type { Environment } from '../config/environment';
import { altcha, deriveShaKey, type Challenge, type Payload, type Solution } from './altcha';
import { BotCheckService, canonicalJson } from './bot-check.service';

/**
 * BotCheckService.verify does altcha-lib's verifySolution checks with node:crypto (ten times
 * cheaper): the two must agree on every payload, and verify adds the event binding.
 */
describe('BotCheckService', () => {
  const key = 'k'.repeat(43);
  const sut = new BotCheckService({ ALTCHA_HMAC_KEY: key } as Environment);
  const eventId = 'concert-2024';
  const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64');
  // The secrets as the service derives them, for altcha-lib's own verdict.
  const secrets = sut as unknown as { signatureSecret: string; keySignatureSecret: string };
  const libraryVerdict = async (payload: Payload) =>
    (
      await altcha.verifySolution({
        challenge: payload.challenge,
        solution: payload.solution,
        deriveKey: deriveShaKey,
        hmacSignatureSecret: secrets.signatureSecret,
        hmacKeySignatureSecret: secrets.keySignatureSecret,
      })
    ).verified;

  let challenge: Challenge;
  let solution: Solution;
  beforeAll(async () => {
    challenge = await sut.createChallenge(eventId, 50);
    solution = (await altcha.solveChallenge({ challenge, deriveKey: deriveShaKey }))!;
  });

  it('issues challenges as altcha-lib makes them, for the event, with a counter from [max/2, max]', async () => {
    expect(challenge.parameters).toMatchObject({
      algorithm: 'SHA-256',
      cost: 1,
      data: { event_id: eventId },
    });
    expect(solution.counter).toBeGreaterThanOrEqual(25);
    expect(solution.counter).toBeLessThanOrEqual(50);
    expect(await libraryVerdict({ challenge, solution })).toBe(true);
  });

  it('signs what altcha-lib signs (canonical JSON of the parameters)', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"e":2,"f":1}]},"b":1}',
    );
  });

  it('agrees with altcha-lib verifySolution on valid, tampered, foreign, expired and malformed payloads', async () => {
    const other = new BotCheckService({ ALTCHA_HMAC_KEY: 'o'.repeat(43) } as Environment);
    const foreign = await other.createChallenge(eventId, 50);
    const expired = await sut.createChallenge(eventId, 50, -5);
    const solved = async (c: Challenge) =>
      (await altcha.solveChallenge({ challenge: c, deriveKey: deriveShaKey }))!;
    const withoutKeySignature = { ...challenge.parameters };
    delete withoutKeySignature.keySignature;
    const cases: [string, Payload][] = [
      ['valid', { challenge, solution }],
      ['another key', { challenge: foreign, solution: await solved(foreign) }],
      ['expired', { challenge: expired, solution: await solved(expired) }],
      ['wrong derived key', { challenge, solution: { ...solution, derivedKey: 'ab'.repeat(32) } }],
      [
        'upper-case derived key',
        { challenge, solution: { ...solution, derivedKey: solution.derivedKey.toUpperCase() } },
      ],
      ['fractional counter', { challenge, solution: { ...solution, counter: 1.5 } }],
      ['negative counter', { challenge, solution: { ...solution, counter: -1 } }],
      [
        'tampered expiry',
        { challenge: { ...challenge, parameters: { ...challenge.parameters, expiresAt: 4e9 } }, solution },
      ],
      [
        'tampered cost',
        { challenge: { ...challenge, parameters: { ...challenge.parameters, cost: 2 } }, solution },
      ],
      ['no key signature', { challenge: { ...challenge, parameters: withoutKeySignature }, solution }],
      ['wrong signature', { challenge: { ...challenge, signature: '0'.repeat(64) }, solution }],
    ];
    for (const [name, payload] of cases) {
      const ours = sut.verify(eventId, encode(payload)).kind === 'valid';
      expect([name, ours]).toEqual([name, await libraryVerdict(payload)]);
    }
    expect(cases.filter(([, payload]) => sut.verify(eventId, encode(payload)).kind === 'valid')).toHaveLength(
      1,
    );
  });

  it('binds a proof to its event, and says how long to remember it', () => {
    expect(sut.verify('another-event', encode({ challenge, solution })).kind).toBe('invalid');
    const before = Date.now();
    const verdict = sut.verify(eventId, encode({ challenge, solution }));
    const after = Date.now();
    expect(verdict).toMatchObject({ kind: 'valid', id: challenge.parameters.nonce });
    if (verdict.kind !== 'valid') throw new Error('not valid');
    // Until the challenge expires, plus a minute, counted from the moment of verifying.
    const expiresAtMs = challenge.parameters.expiresAt! * 1000;
    expect(verdict.ttlMs).toBeGreaterThanOrEqual(expiresAtMs - after + 60_000);
    expect(verdict.ttlMs).toBeLessThanOrEqual(expiresAtMs - before + 60_000);
  });

  it('calls anything that is not a payload invalid, without throwing', () => {
    for (const garbage of [
      '',
      '!!!',
      encode(null),
      encode([]),
      encode({ challenge: 1, solution: {} }),
      encode({ challenge: { parameters: {}, signature: 1 }, solution: {} }),
      encode({ challenge: { parameters: { expiresAt: 4e9, nonce: 5 }, signature: 'x' }, solution: {} }),
    ]) {
      expect(sut.verify(eventId, garbage)).toEqual({ kind: 'invalid' });
    }
  });
});
