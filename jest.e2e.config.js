/**
 * Browser tests (`npm run test:e2e`): `*.e2e.test.ts` drive Debian's Chromium through playwright-core against the
 * real server, workflow and database. One file at a time: each starts a Temporal dev server and a browser, and the
 * machines have two cores.
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'e2e',
  testMatch: ['<rootDir>/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.hone/', '/.cache/'],
  testEnvironment: 'node',
  transform: {
    '/lib/db/generated/.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: false } }],
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  globalSetup: '<rootDir>/apps/web/e2e/e2e-global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 180_000,
};
