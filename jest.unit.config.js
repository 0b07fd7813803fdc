// Unit tests: pure logic next to the code (*.spec.ts). No Redis, no Kafka.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared'),
  displayName: 'unit',
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
};
