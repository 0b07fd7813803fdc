import { Injectable, Logger } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Environment } from '../config/environment';
import { altcha, deriveShaKey, type Payload } from './altcha';
import type { JoinProof } from './join-proof';

/** How long a challenge can be solved and used: the page solves it while the person reads. */
const CHALLENGE_TTL_SECONDS = 300;
/**
 * A used proof is remembered this long after its challenge expired, so an instance whose clock
 * is behind still finds it (it accepts the proof until its own clock reaches the expiry).
 */
const USED_PROOF_GRACE_MS = 60_000;
/** The signed challenge parameters carry the event id under this name (binds a proof to it). */
const EVENT_FIELD = 'event_id';
/** altcha-lib's `nonce`: 16 random bytes, signed; what makes a proof single use. */
const NONCE = /^[0-9a-f]{32}$/;
/** A solution's derived key: lower-case hex bytes, as altcha-lib requires. */
const DERIVED_KEY = /^(?:[0-9a-f]{2})+$/;
/** The largest counter of altcha-lib's (default) uint32 counter mode. */
const MAX_COUNTER = 0xffffffff;

/**
 * The bot check's proof of work, with the open ALTCHA protocol (altcha-lib, v2): challenges are
 * made and verified here, with one HMAC key shared by every instance; that a proof is used once
 * is decided atomically by the join script (join-12.lua), in the event's slot.
 *
 * Challenges are SHA-256 in altcha-lib's deterministic mode: the server draws the counter the
 * solver must reach, signs the key it derives from it, and verifying a solution is two HMACs
 * (the parameters' signature and the key's) with no hashing to redo: microseconds per join.
 */
@Injectable()
export class BotCheckService {
  private readonly logger = new Logger(BotCheckService.name);
  /** Signs the challenge parameters. */
  private readonly signatureSecret: string;
  /** Signs the derived key a solution must present (altcha-lib's hmacKeySignatureSecret). */
  private readonly keySignatureSecret: string;

  constructor(env: Environment) {
    if (env.ALTCHA_HMAC_KEY) {
      this.signatureSecret = env.ALTCHA_HMAC_KEY;
    } else {
      this.logger.warn(
        'ALTCHA_HMAC_KEY is not set: generated a bot-check key for this process only. ' +
          'Proofs of work will not verify on other instances; set one key on every instance.',
      );
      this.signatureSecret = randomBytes(32).toString('base64url');
    }
    // A second secret derived from the first, so one variable configures both.
    this.keySignatureSecret = createHmac('sha256', this.signatureSecret)
      .update('waitroom bot check: derived-key signatures')
      .digest('hex');
  }

  /**
   * A fresh challenge for an event, exactly as altcha-lib's createChallenge returns it. The
   * solver must find a counter drawn from [maxNumber/2, maxNumber], one SHA-256 each.
   */
  createChallenge(
    eventId: string,
    maxNumber: number,
    ttlSeconds = CHALLENGE_TTL_SECONDS,
  ): ReturnType<typeof altcha.createChallenge> {
    return altcha.createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: altcha.randomInt(maxNumber, Math.ceil(maxNumber / 2)),
      deriveKey: deriveShaKey,
      data: { [EVENT_FIELD]: eventId },
      expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds,
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
  }

  /**
   * Checks a join's `altcha` (the widget's payload: base64 of JSON `{challenge, solution}`) for
   * an event: signed with this key, not expired, issued for this event, solved. Whether it was
   * used already is for the join script. Never throws: anything malformed is `invalid`.
   *
   * The checks are altcha-lib's verifySolution for these challenges (signature over the sorted
   * parameters, expiry, then the derived key against its signature), done with node:crypto:
   * verifySolution goes through WebCrypto (a key import and an async sign per HMAC), several
   * times the cost of these two HMACs on every join (docs/benchmarks.md, "Bot check").
   * bot-check.service.spec.ts holds the two to the same verdicts.
   */
  verify(eventId: string, encoded: string): JoinProof {
    const payload = decodePayload(encoded);
    if (!payload) return { kind: 'invalid' };
    const { challenge, solution } = payload;
    const { parameters } = challenge;
    const valid =
      typeof parameters.expiresAt === 'number' &&
      parameters.expiresAt >= Date.now() / 1000 &&
      typeof parameters.nonce === 'string' &&
      NONCE.test(parameters.nonce) &&
      typeof parameters.keySignature === 'string' &&
      sameHex(challenge.signature, hmacHex(this.signatureSecret, canonicalJson(parameters))) &&
      typeof solution.derivedKey === 'string' &&
      DERIVED_KEY.test(solution.derivedKey) &&
      Number.isInteger(solution.counter) &&
      solution.counter >= 0 &&
      solution.counter <= MAX_COUNTER &&
      sameHex(
        parameters.keySignature,
        hmacHex(this.keySignatureSecret, Buffer.from(solution.derivedKey, 'hex')),
      ) &&
      parameters.data?.[EVENT_FIELD] === eventId;
    if (!valid) return { kind: 'invalid' };
    return {
      kind: 'valid',
      id: parameters.nonce,
      ttlMs: parameters.expiresAt! * 1000 - Date.now() + USED_PROOF_GRACE_MS,
    };
  }
}

/** altcha-lib's signing input: JSON with every object's keys sorted (its canonicalJSON). */
export function canonicalJson(value: unknown): string {
  const sorted = (item: unknown): unknown =>
    Array.isArray(item)
      ? item.map(sorted)
      : typeof item === 'object' && item !== null
        ? // fromEntries, as altcha-lib: a "__proto__" key stays an own property and is signed.
          Object.fromEntries(
            Object.keys(item)
              .sort()
              .map((key) => [key, sorted((item as Record<string, unknown>)[key])]),
          )
        : item;
  return JSON.stringify(sorted(value));
}

function hmacHex(secret: string, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Constant-time comparison of two hex strings (altcha-lib's constantTimeEqual). */
function sameHex(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** The payload as altcha-lib reads it, or null when it is not base64 JSON of that shape. */
function decodePayload(encoded: string): Payload | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(value) || !isObject(value.challenge) || !isObject(value.solution)) return null;
  if (!isObject(value.challenge.parameters) || typeof value.challenge.signature !== 'string') return null;
  return value as unknown as Payload;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
