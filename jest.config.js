/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.hone/', '\\.e2e\\.test\\.ts$'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }] },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  // Numerical and service tests are slow on 2 cores; individual tests set tighter timeouts where it matters.
  testTimeout: 120_000,
  maxWorkers: 2,
};
