/**
 * Names of the environment variables through which test/global-setup.ts hands its shared services to the test
 * files (jest workers inherit the environment of the process that ran the global setup).
 */
export const TEST_ENV = {
  /** A migrated database that tests may share (prefer {@link createTestDatabase} for isolation). */
  databaseUrl: 'HONE_TEST_DATABASE_URL',
  /** Connection URL of the server's maintenance database (`postgres`), for creating and dropping databases. */
  pgAdminUrl: 'HONE_TEST_PG_ADMIN_URL',
  /** Name of the migrated template database that {@link createTestDatabase} copies. */
  pgTemplate: 'HONE_TEST_PG_TEMPLATE',
  temporalAddress: 'HONE_TEST_TEMPORAL_ADDRESS',
  temporalNamespace: 'HONE_TEST_TEMPORAL_NAMESPACE',
  temporalUiUrl: 'HONE_TEST_TEMPORAL_UI_URL',
  /** Path of the resolved `temporal` CLI, for tests that run a server of their own (e.g. restart tests). */
  temporalCli: 'HONE_TEST_TEMPORAL_CLI',
  s3Endpoint: 'HONE_TEST_S3_ENDPOINT',
  s3Region: 'HONE_TEST_S3_REGION',
  s3AccessKeyId: 'HONE_TEST_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'HONE_TEST_S3_SECRET_ACCESS_KEY',
  /** Path of the resolved S3 server binary. */
  s3ServerBin: 'HONE_TEST_S3_SERVER_BIN',
  /** Temporary folder of this test run (removed by the teardown unless HONE_TEST_KEEP=1). */
  runDir: 'HONE_TEST_RUN_DIR',
} as const;

/** Reads one of {@link TEST_ENV}, failing with a clear message when the global setup did not run. */
export function testEnv(name: keyof typeof TEST_ENV): string {
  const v = process.env[TEST_ENV[name]];
  if (!v) {
    throw new Error(`${TEST_ENV[name]} is not set: this test needs the shared services of test/global-setup.ts (run it with jest from the repository root, in the "platform" project).`);
  }
  return v;
}

/** The shared S3 server as artifact-store settings. */
export function testS3(): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
  return {
    endpoint: testEnv('s3Endpoint'),
    region: testEnv('s3Region'),
    credentials: { accessKeyId: testEnv('s3AccessKeyId'), secretAccessKey: testEnv('s3SecretAccessKey') },
  };
}
