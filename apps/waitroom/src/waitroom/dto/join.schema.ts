import { MAX_IDENTITY_TOKEN_LENGTH } from '../../identity/identity-tokens';
import { EVENT_ID_PATTERN } from '../../queue/session-id';

/**
 * The `altcha` field: base64 of the solved challenge's JSON (about 700 characters for the
 * challenges this service issues; the bound leaves room and refuses anything far bigger).
 */
export const ALTCHA_MAX_LENGTH = 2048;
export const ALTCHA_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The join body as a JSON schema, compiled once by Fastify's ajv and checked before Nest runs
 * the handler. Join is the hot path of a sale opening: class-validator's ValidationPipe cost
 * a large share of a join's CPU (docs/benchmarks.md), a compiled schema a fraction of that.
 * Same rules as JoinRequestDto, which stays the OpenAPI description of the body; the join
 * validation tests run against this schema.
 */
export const JOIN_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id', 'event_id'],
  properties: {
    user_id: { type: 'string', minLength: 1, maxLength: 128 },
    event_id: { type: 'string', minLength: 1, maxLength: 64, pattern: EVENT_ID_PATTERN.source },
    priority: { type: 'integer', minimum: 0, maximum: 9 },
    altcha: { type: 'string', minLength: 1, maxLength: ALTCHA_MAX_LENGTH, pattern: ALTCHA_PATTERN.source },
    // Any string: a garbage token is the identity check's 403 IDENTITY_INVALID, not a 400.
    identity_token: { type: 'string', minLength: 1, maxLength: MAX_IDENTITY_TOKEN_LENGTH },
  },
} as const;

export interface JoinRequestBody {
  user_id: string;
  event_id: string;
  priority?: number;
  altcha?: string;
  identity_token?: string;
}
