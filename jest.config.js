/** @type {import('jest').Config['projects'][number]} */
const common = {
  // Node environment whose typed-array constructors are the main context's, so onnxruntime-node's outputs are
  // accepted (see the file for why); every test that touches the engine needs it, including activity tests.
  testEnvironment: '<rootDir>/engine/onnx/ort-test-environment.ts',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.hone/', '/.cache/', '\\.e2e\\.test\\.ts$'],
  transform: {
    // The generated Prisma client loads its Wasm query compiler with import(); jest's CommonJS runtime cannot run a
    // native import() without --experimental-vm-modules, so compile those to require() (the targets are CommonJS).
    '/lib/db/generated/.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: false } }],
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
};

/**
 * Three projects so that engine tests and the web UI's unit tests (pure computation) never wait for services, while every other test gets the
 * shared embedded Postgres, Temporal dev server and S3 server of test/global-setup.ts. Jest runs a project's
 * global setup only when at least one of its test files is selected.
 * @type {import('jest').Config}
 */
module.exports = {
  // Numerical and service tests are slow on 2 cores; individual tests set tighter timeouts where it matters.
  testTimeout: 120_000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'engine', testMatch: ['<rootDir>/engine/**/*.test.ts'] },
    // The web UI's pure logic (ranking model, formatting, API client): no services, no browser.
    { ...common, displayName: 'web', testEnvironment: 'node', testMatch: ['<rootDir>/apps/web/src/**/*.test.ts'] },
    {
      ...common,
      displayName: 'platform',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '<rootDir>/engine/', '<rootDir>/apps/web/src/'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
