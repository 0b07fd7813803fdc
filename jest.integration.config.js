// Integration and end-to-end tests: the real Redis and the real Kafka broker that
// scripts/stack.sh starts (see test/support/test-env.ts for the guard and the key prefix).
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'integration',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@waitroom/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1' },
  testEnvironment: 'node',
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
};
