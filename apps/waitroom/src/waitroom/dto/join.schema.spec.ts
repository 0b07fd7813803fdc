import Ajv from 'ajv';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { JoinRequestDto } from './join.dto';
import { JOIN_BODY_SCHEMA } from './join.schema';

/**
 * The join body is validated by JOIN_BODY_SCHEMA (Fastify's ajv, the hot path) and described
 * for OpenAPI by JoinRequestDto (class-validator rules, as every other body). The two must
 * accept and refuse the same bodies.
 */
describe('JOIN_BODY_SCHEMA and JoinRequestDto agree', () => {
  // The options Fastify compiles route schemas with in bootstrap.ts.
  const validateSchema = new Ajv({ coerceTypes: false, removeAdditional: false, allErrors: true }).compile(
    JOIN_BODY_SCHEMA,
  );
  const dtoAccepts = (body: object) =>
    validateSync(plainToInstance(JoinRequestDto, body), {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    }).length === 0;

  const bodies: [string, object][] = [
    ['minimal', { user_id: 'u1', event_id: 'concert-2024' }],
    ['with priority 0', { user_id: 'u1', event_id: 'concert-2024', priority: 0 }],
    ['with priority 9', { user_id: 'u1', event_id: 'e', priority: 9 }],
    ['event id with . _ : -', { user_id: 'u1', event_id: 'A.b_c:d-9' }],
    ['longest user id', { user_id: 'x'.repeat(128), event_id: 'e' }],
    ['longest event id', { user_id: 'u', event_id: 'e'.repeat(64) }],
    ['user id too long', { user_id: 'x'.repeat(129), event_id: 'e' }],
    ['event id too long', { user_id: 'u', event_id: 'e'.repeat(65) }],
    ['empty user id', { user_id: '', event_id: 'e' }],
    ['empty event id', { user_id: 'u', event_id: '' }],
    ['event id starting with a dash', { user_id: 'u', event_id: '-e' }],
    ['event id with a space', { user_id: 'u', event_id: 'e 1' }],
    ['event id with a tilde (session id separator)', { user_id: 'u', event_id: 'e~1' }],
    ['missing user id', { event_id: 'e' }],
    ['missing event id', { user_id: 'u' }],
    ['numeric user id', { user_id: 1, event_id: 'e' }],
    ['priority as a string', { user_id: 'u', event_id: 'e', priority: '1' }],
    ['fractional priority', { user_id: 'u', event_id: 'e', priority: 1.5 }],
    ['negative priority', { user_id: 'u', event_id: 'e', priority: -1 }],
    ['priority 10', { user_id: 'u', event_id: 'e', priority: 10 }],
    ['unknown field', { user_id: 'u', event_id: 'e', vip: true }],
    ['with altcha', { user_id: 'u', event_id: 'e', altcha: 'eyJjaGFsbGVuZ2UiOnt9fQ==' }],
    ['longest altcha', { user_id: 'u', event_id: 'e', altcha: 'A'.repeat(2048) }],
    ['altcha too long', { user_id: 'u', event_id: 'e', altcha: 'A'.repeat(2049) }],
    ['empty altcha', { user_id: 'u', event_id: 'e', altcha: '' }],
    ['altcha not base64', { user_id: 'u', event_id: 'e', altcha: 'not base64!' }],
    ['altcha as an object', { user_id: 'u', event_id: 'e', altcha: { challenge: {} } }],
  ];

  it.each(bodies)('%s', (_name, body) => {
    expect(validateSchema(body)).toBe(dtoAccepts(body));
  });

  it('accepts and refuses at least one body each (the table is not one-sided)', () => {
    const verdicts = bodies.map(([, body]) => validateSchema(body));
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
  });
});
