import { randomBytes } from 'node:crypto';
import { altcha, deriveShaKey, type Challenge } from '../apps/waitroom/src/bot-check/altcha';
import type { Environment } from '../apps/waitroom/src/config/environment';
import { BotCheckService } from '../apps/waitroom/src/bot-check/bot-check.service';
import { DEFAULT_BOT_CHECK_MAX_NUMBER } from '../apps/waitroom/src/queue/event-config';
import { ADMIN_KEY, uniquePrefix } from './support/test-env';
import { startApp, type HttpClient, type RunningApp } from './support/app-harness';

/**
 * The bot check (issue 13, CONTRACT "bot_check"): proof of work at join with ALTCHA, on the real
 * Redis, with two app instances that share the key prefix and ALTCHA_HMAC_KEY, as a deployment's
 * instances do. Challenges are kept tiny (bot_check_max_number 20): this is about the rules, the
 * cost is bench/bot-check.bench.ts's.
 */
describe('bot check: proof of work at join', () => {
  const prefix = uniquePrefix('botcheck');
  const hmacKey = randomBytes(32).toString('base64url');
  let a: RunningApp;
  let b: RunningApp;
  let powEvent: string;
  let otherPowEvent: string;
  let plainEvent: string;
  let users = 0;
  const user = () => `bot-check-user-${++users}`;

  const challengeOf = async (http: HttpClient, eventId: string): Promise<Challenge> => {
    const response = await http.get(`/api/v1/waitroom/events/${eventId}/challenge`);
    expect(response.status).toBe(200);
    return response.body as Challenge;
  };
  /** What the ALTCHA widget sends: base64 of JSON {challenge, solution}. */
  const solve = async (challenge: Challenge): Promise<string> => {
    const solution = await altcha.solveChallenge({ challenge, deriveKey: deriveShaKey });
    if (!solution) throw new Error('no solution found');
    return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  };
  const proofFor = async (http: HttpClient, eventId: string) => solve(await challengeOf(http, eventId));
  const join = (
    http: HttpClient,
    eventId: string,
    userId: string,
    proof?: string,
    headers?: Record<string, string>,
  ) =>
    http.post(
      '/api/v1/waitroom/join',
      { user_id: userId, event_id: eventId, ...(proof === undefined ? {} : { altcha: proof }) },
      headers,
    );

  beforeAll(async () => {
    const env = { REDIS_KEY_PREFIX: prefix, ALTCHA_HMAC_KEY: hmacKey };
    a = await startApp({ env, background: false });
    b = await startApp({ env, background: false });
    const pow = { capacity: 10, state: 'paused', bot_check: 'proof_of_work', bot_check_max_number: 20 };
    powEvent = await a.http.createEvent('pow', pow);
    otherPowEvent = await a.http.createEvent('pow-other', pow);
    plainEvent = await a.http.createEvent('plain', { capacity: 10, state: 'paused' });
  }, 60000);

  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  describe('configuration', () => {
    it('stores bot_check and its difficulty and shows them in the config; the default is off', async () => {
      const details = await a.http.get(`/api/v1/waitroom/admin/events/${powEvent}`, {
        'x-api-key': ADMIN_KEY,
      });
      expect(details.body).toMatchObject({ bot_check: 'proof_of_work', bot_check_max_number: 20 });
      const plain = await a.http.get(`/api/v1/waitroom/admin/events/${plainEvent}`, {
        'x-api-key': ADMIN_KEY,
      });
      expect(plain.body).toMatchObject({
        bot_check: 'off',
        bot_check_max_number: DEFAULT_BOT_CHECK_MAX_NUMBER,
      });
    });

    it('refuses an unknown bot_check and a difficulty out of range (400)', async () => {
      for (const wrong of [
        { bot_check: 'captcha' },
        { bot_check_max_number: 5 },
        { bot_check_max_number: 1.5 },
      ]) {
        const response = await a.http.upsertEvent(`pow-wrong-${Date.now()}`, { capacity: 1, ...wrong });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('GET /events/:event_id/challenge', () => {
    it('answers a fresh altcha-lib challenge, signed, expiring in 5 minutes, bound to the event, not cached', async () => {
      const response = await a.http.get(`/api/v1/waitroom/events/${powEvent}/challenge`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const challenge = response.body as Challenge;
      expect(challenge.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(challenge.parameters).toMatchObject({
        algorithm: 'SHA-256',
        cost: 1,
        data: { event_id: powEvent },
        nonce: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      const ttl = challenge.parameters.expiresAt! - Date.now() / 1000;
      expect(ttl).toBeGreaterThan(290);
      expect(ttl).toBeLessThanOrEqual(300);
      const again = (await a.http.get(`/api/v1/waitroom/events/${powEvent}/challenge`)).body as Challenge;
      expect(again.parameters.nonce).not.toBe(challenge.parameters.nonce);
    });

    it('is 404 EVENT_NOT_FOUND for an event without the bot check and for an unknown event', async () => {
      for (const eventId of [plainEvent, 'no-such-event']) {
        const response = await a.http.get(`/api/v1/waitroom/events/${eventId}/challenge`);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('EVENT_NOT_FOUND');
      }
    });
  });

  describe('join at a proof_of_work event', () => {
    it('refuses a join without a proof: 403 PROOF_REQUIRED', async () => {
      const response = await join(a.http, powEvent, user());
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('PROOF_REQUIRED');
    });

    it('accepts a join with a solved challenge (201)', async () => {
      const response = await join(a.http, powEvent, user(), await proofFor(a.http, powEvent));
      expect(response.status).toBe(201);
      expect(response.body.status).toBe('queued');
    });

    it('refuses a used proof (PROOF_INVALID), on this instance and on another one', async () => {
      const proof = await proofFor(a.http, powEvent);
      expect((await join(a.http, powEvent, user(), proof)).status).toBe(201);
      for (const instance of [a, b]) {
        const reuse = await join(instance.http, powEvent, user(), proof);
        expect(reuse.status).toBe(403);
        expect(reuse.body.code).toBe('PROOF_INVALID');
      }
    });

    it('accepts a proof on another instance than the one that issued the challenge (shared key)', async () => {
      const proof = await proofFor(a.http, powEvent);
      expect((await join(b.http, powEvent, user(), proof)).status).toBe(201);
      expect((await join(a.http, powEvent, user(), proof)).body.code).toBe('PROOF_INVALID');
    });

    it('lets exactly one of many simultaneous joins with one proof through, over both instances', async () => {
      const proof = await proofFor(b.http, powEvent);
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => join(i % 2 ? a.http : b.http, powEvent, user(), proof)),
      );
      expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 403 && r.body.code === 'PROOF_INVALID')).toHaveLength(11);
    });

    it("remembers a used proof in the event's slot until its challenge has expired", async () => {
      const challenge = await challengeOf(a.http, powEvent);
      expect((await join(a.http, powEvent, user(), await solve(challenge))).status).toBe(201);
      const redis = a.redis.client;
      const key = `${prefix}{${powEvent}}:proof:${challenge.parameters.nonce}`;
      const ttlMs = await redis.pttl(key);
      const untilExpiry = challenge.parameters.expiresAt! * 1000 - Date.now();
      expect(ttlMs).toBeGreaterThan(untilExpiry);
      expect(ttlMs).toBeLessThanOrEqual(untilExpiry + 61_000);
    });

    it('refuses a proof for event A at event B', async () => {
      const response = await join(a.http, otherPowEvent, user(), await proofFor(a.http, powEvent));
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('PROOF_INVALID');
    });

    it('refuses a proof of an expired challenge', async () => {
      const expired = await a.app.get(BotCheckService).createChallenge(powEvent, 20, -1);
      const response = await join(a.http, powEvent, user(), await solve(expired));
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('PROOF_INVALID');
    });

    it('refuses a challenge signed with another key, a wrong solution, a tampered challenge and garbage', async () => {
      const otherKey = { ALTCHA_HMAC_KEY: randomBytes(32).toString('hex') } as Environment;
      const foreign = await new BotCheckService(otherKey).createChallenge(powEvent, 20);
      const challenge = await challengeOf(a.http, powEvent);
      const solution = (await altcha.solveChallenge({ challenge, deriveKey: deriveShaKey }))!;
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
      const tampered = {
        ...challenge,
        parameters: { ...challenge.parameters, data: { event_id: otherPowEvent } },
      };
      const proofs = [
        await solve(foreign),
        encode({
          challenge,
          solution: { ...solution, counter: solution.counter + 1, derivedKey: 'ab'.repeat(32) },
        }),
        encode({ challenge: tampered, solution }),
        encode({ challenge: { parameters: 'x' }, solution }),
        encode([1, 2, 3]),
        Buffer.from('not json at all').toString('base64'),
      ];
      for (const proof of proofs) {
        const response = await join(a.http, otherPowEvent, user(), proof);
        expect([response.status, response.body.code]).toEqual([403, 'PROOF_INVALID']);
      }
      // The genuine one still works after all that.
      expect((await join(a.http, powEvent, user(), encode({ challenge, solution }))).status).toBe(201);
    });

    it('exempts trusted callers (x-api-key)', async () => {
      const response = await join(a.http, powEvent, user(), undefined, { 'x-api-key': ADMIN_KEY });
      expect(response.status).toBe(201);
    });

    it('needs no proof to re-join a live place, and needs one again once the place is gone', async () => {
      const userId = user();
      const first = await join(a.http, powEvent, userId, await proofFor(a.http, powEvent));
      expect(first.status).toBe(201);
      const again = await join(b.http, powEvent, userId);
      expect(again.status).toBe(200);
      expect(again.body.session_id).toBe(first.body.session_id);
      expect((await a.http.leave(first.body.session_id)).status).toBe(200);
      expect((await join(a.http, powEvent, userId)).body.code).toBe('PROOF_REQUIRED');
    });

    it('leaves a proof unused when the join is refused for another reason (closed event)', async () => {
      const closing = await a.http.createEvent('pow-closed', {
        capacity: 1,
        state: 'closed',
        bot_check: 'proof_of_work',
        bot_check_max_number: 20,
      });
      const proof = await proofFor(a.http, closing);
      expect((await join(a.http, closing, user(), proof)).status).toBe(409);
      await a.http.upsertEvent(closing, {
        capacity: 1,
        bot_check: 'proof_of_work',
        bot_check_max_number: 20,
      });
      expect((await join(a.http, closing, user(), proof)).status).toBe(201);
    });
  });

  describe('join at an event with bot_check off', () => {
    it('ignores altcha, valid or not', async () => {
      expect((await join(a.http, plainEvent, user())).status).toBe(201);
      expect((await join(a.http, plainEvent, user(), Buffer.from('junk').toString('base64'))).status).toBe(
        201,
      );
      expect((await join(b.http, plainEvent, user(), await proofFor(a.http, powEvent))).status).toBe(201);
    });

    it('takes effect at once when an operator turns it on (and off again)', async () => {
      const eventId = await a.http.createEvent('toggle', { capacity: 5, state: 'paused' });
      expect((await join(a.http, eventId, user())).status).toBe(201);
      await a.http.upsertEvent(eventId, {
        capacity: 5,
        state: 'paused',
        bot_check: 'proof_of_work',
        bot_check_max_number: 20,
      });
      expect((await join(b.http, eventId, user())).body.code).toBe('PROOF_REQUIRED');
      await a.http.upsertEvent(eventId, { capacity: 5, state: 'paused' });
      expect((await join(b.http, eventId, user())).status).toBe(201);
    });
  });
});
