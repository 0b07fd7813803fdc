import { randomBytes } from 'node:crypto';
import { validateEnvironment, type Environment } from '../../apps/waitroom/src/config/environment';

/**
 * Where the integration tests find the stack that scripts/stack.sh starts. The guard refuses
 * the shared Redis on 6379 (other people's data lives there): tests own their Redis, and inside
 * it every test file writes under its own random key prefix and deletes only that.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
export const TEST_KAFKA_BROKERS = process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export function assertTestRedis(url: string): void {
  const port = new URL(url).port || '6379';
  if (port === '6379' && process.env.WAITROOM_TESTS_ALLOW_PORT_6379 !== 'yes') {
    throw new Error(
      `refusing to run tests against ${url}: port 6379 is the shared Redis. ` +
        'Start the test stack (scripts/stack.sh up, port 6390) or set TEST_REDIS_URL.',
    );
  }
}

export function uniquePrefix(label: string): string {
  return `t:${label}:${randomBytes(4).toString('hex')}:`;
}

export function testEnvironment(overrides: Record<string, string> = {}): Environment {
  const raw = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('x'),
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    ADMIN_API_KEY: ADMIN_KEY,
    JOIN_RATE_LIMIT_PER_MINUTE: '0',
    ADMISSION_TICK_MS: '50',
    OUTBOX_RELAY_INTERVAL_MS: '20',
    LOG_LEVEL: 'fatal',
    LOG_FORMAT: 'text',
    ...overrides,
  };
  assertTestRedis(raw.REDIS_URL);
  return validateEnvironment(raw);
}
