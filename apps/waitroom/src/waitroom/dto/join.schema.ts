import { EVENT_ID_PATTERN } from '../session-id';

/**
 * The join body as a JSON schema, compiled once by Fastify's ajv and checked before Nest runs
 * the handler. Join is the hot path of a sale opening: class-validator's ValidationPipe cost
 * about 10% of a join's CPU (docs/benchmarks.md), a compiled schema a fraction of that.
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
  },
} as const;

export interface JoinRequestBody {
  user_id: string;
  event_id: string;
  priority?: number;
}
