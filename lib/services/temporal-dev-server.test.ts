import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { testEnv } from '../../test/test-env';
import { canConnect } from './free-port';
import { DEV_SERVER_DYNAMIC_CONFIG, dynamicConfigArgs, startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-temporal-'));
let server: TemporalDevServer | undefined;
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function withClient<T>(address: string, namespace: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection, namespace }));
  } finally {
    await connection.close();
  }
}

describe('startTemporalDevServer', () => {
  it('keeps workflows in its SQLite file across a stop and a start', async () => {
    const cliPath = testEnv('temporalCli');
    server = await startTemporalDevServer({ dataDir, namespace: 'hone-test', cliPath });
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The transfer-queue read cap is raised on the server that runs (see DEV_SERVER_DYNAMIC_CONFIG).
    const cmdline = fs.readFileSync(`/proc/${server.process.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain('history.transferProcessorMaxPollRPS=1000');
    const ui = await fetch(server.uiUrl!);
    expect(ui.status).toBe(200);

    // A workflow needs no worker to exist: the server records it and waits for one to poll its task queue.
    const started = await withClient(server.address, 'hone-test', (c) =>
      c.workflow.start('durabilityProbe', { taskQueue: 'no-worker-polls-this', workflowId: 'probe-1', args: [{ n: 1 }] }),
    );
    const oldPort = Number(server.address.split(':')[1]);
    await server.stop();
    expect(server.process.hasExited()).toBe(true);
    expect(await canConnect(oldPort)).toBe(false);

    server = await startTemporalDevServer({ dataDir, namespace: 'hone-test', cliPath });
    await withClient(server.address, 'hone-test', async (c) => {
      const handle = c.workflow.getHandle('probe-1');
      const d = await handle.describe();
      expect(d.runId).toBe(started.firstExecutionRunId);
      expect(d.status.name).toBe('RUNNING');
      expect(d.type).toBe('durabilityProbe');
      await handle.signal('nudge', 'after restart');
      const history = await handle.fetchHistory();
      expect(history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'nudge')).toBe(true);
      await handle.terminate('test done');
    });
  });

  it('merges dynamic-config overrides over the defaults, JSON-encoding values, and drops a default set to undefined', () => {
    expect(DEV_SERVER_DYNAMIC_CONFIG['history.transferProcessorMaxPollRPS']).toBe(1000);
    expect(dynamicConfigArgs()).toEqual(['--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000']);
    expect(dynamicConfigArgs({ 'limit.blobSize.error': 1024, 'frontend.enableUpdateWorkflowExecution': true, 'history.transferProcessorMaxPollRPS': 50 })).toEqual([
      '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
      '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=50',
      '--dynamic-config-value', 'limit.blobSize.error=1024',
    ]);
    expect(dynamicConfigArgs({ 'history.transferProcessorMaxPollRPS': undefined, 'system.forceSearchAttributesCacheRefreshOnRead': 'x' })).toEqual(['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead="x"']);
  });

  it('refuses a port that is already taken, naming it', async () => {
    const taken = Number(testEnv('temporalAddress').split(':')[1]);
    await expect(startTemporalDevServer({ dataDir: path.join(dataDir, 'other'), port: taken, cliPath: testEnv('temporalCli') })).rejects.toThrow(`port ${taken} on 127.0.0.1 is already in use`);
  });

  it('reports a server that dies at start with its output', async () => {
    const bogus = path.join(dataDir, 'not-temporal.sh');
    fs.writeFileSync(bogus, '#!/bin/sh\necho "flag provided but not defined: --ip" >&2\nexit 2\n', { mode: 0o755 });
    await expect(startTemporalDevServer({ dataDir: path.join(dataDir, 'bogus'), cliPath: bogus })).rejects.toThrow(/exited before it was ready[\s\S]*flag provided but not defined/);
  });
});
