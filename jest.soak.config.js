// The chaos soak of a whole sale (test/soak/, `make soak`): the real stack, several service
// processes, Redis through Sentinel, the checkout simulator, and faults at random. Kept out of
// `make test` and `make test-faults`: it runs for SOAK_SECONDS (600 by default).
const integration = require('./jest.integration.config');

/** @type {import('jest').Config} */
module.exports = {
  ...integration,
  displayName: 'soak',
  testMatch: ['<rootDir>/test/soak/**/*.soak.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 3_600_000,
};
