// Settings both Jest projects share.
//
// A few transitive dependencies now ship ES modules only, and Jest on Node 20 cannot require()
// them (native require(esm) in Jest needs Node 24.9+). Those packages alone are compiled to
// CommonJS by ts-jest; everything else in node_modules is loaded as it is.
const ESM_ONLY_PACKAGES = ['content-disposition'];

module.exports = {
  rootDir: '.',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleNameMapper: {
    '^@waitroom/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1',
    '^@waitroom/gate(|/.*)$': '<rootDir>/libs/gate/src$1',
    '^@waitroom/kafka-consumer(|/.*)$': '<rootDir>/libs/kafka-consumer/src$1',
    '^@waitroom/process-metrics(|/.*)$': '<rootDir>/libs/process-metrics/src$1',
    '^@waitroom/service-kit(|/.*)$': '<rootDir>/libs/service-kit/src$1',
  },
  testEnvironment: 'node',
};
