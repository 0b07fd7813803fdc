// Integration and end-to-end tests: the real Redis and the real Kafka broker that
// scripts/stack.sh starts (test/support/test-env.ts holds the guard and the key prefixes).
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared'),
  displayName: 'integration',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Fault drills (SIGKILLed processes, broker and store outages) run apart: `make test-faults`, jest.faults.config.js.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/', '<rootDir>/test/soak/'],
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // kafkajs and ioredis keep reconnect timers alive for a while after disconnect(), which makes Jest
  // wait after the last suite; every suite closes its apps and clients in afterAll.
  forceExit: true,
};
