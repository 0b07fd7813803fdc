// Unit tests: pure logic next to the code (*.spec.ts). No Redis, no Kafka.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'unit',
  rootDir: '.',
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@waitroom/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1' },
  testEnvironment: 'node',
};
