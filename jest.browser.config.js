// Browser tests: the pages in headless Chromium (Debian's package, driven by playwright-core),
// against the real app started in-process on the stack's Redis. Named *.browser.ts so the
// integration run (test/**/*.test.ts) does not pick them up. One browser at a time: --runInBand.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared'),
  displayName: 'browser',
  testMatch: ['<rootDir>/test/browser/**/*.browser.ts'],
  testTimeout: 90000,
  // The integration tests' stack check, then a fresh web build (test/browser/global-setup.ts).
  globalSetup: '<rootDir>/test/browser/global-setup.ts',
  forceExit: true,
};
