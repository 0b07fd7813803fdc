// Fault drills: processes SIGKILLed and restarted, stores and brokers taken away under load
// (test/faults/, `make test-faults`). Same real stack, setup and guard as the integration tests,
// but kept out of `make test`: they are slower, and each starts and kills processes of its own.
const integration = require('./jest.integration.config');

/** @type {import('jest').Config} */
module.exports = {
  ...integration,
  displayName: 'faults',
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 180000,
};
