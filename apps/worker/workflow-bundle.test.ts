import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../../test/temporal-test-env';
import { buildWorkflowBundle, workflowBundleForWorker } from './workflow-bundle';

let dir: string;
beforeAll(() => {
  installQuietRuntime();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-bundle-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('the prebuilt bundle is used when fresh, replays a recorded experiment, and a stale or missing one is rebuilt at start and saved', async () => {
  const file = path.join(dir, 'workflow-bundle.js');
  expect(await buildWorkflowBundle(file)).toBeGreaterThan(10_000);
  const said: string[] = [];
  const fresh = await workflowBundleForWorker((m) => said.push(m), file);
  expect(fresh).toEqual({ option: { codePath: file }, prebuilt: true });
  expect(said).toEqual([]);

  // The built code is the real workflow: a recorded two-round experiment replays on it without non-determinism.
  const fixture = path.join(__dirname, '..', '..', 'workflows', '__fixtures__', 'two-rounds.run1.json');
  const history = historyFromJSON(JSON.parse(fs.readFileSync(fixture, 'utf8')));
  const input = JSON.parse(Buffer.from(history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data ?? []).toString('utf8')) as { experimentId: string };
  await Worker.runReplayHistory({ workflowBundle: { codePath: file } }, history, `experiment-${input.experimentId}`);

  fs.utimesSync(file, new Date(0), new Date(0)); // older than every workflow source
  const stale = await workflowBundleForWorker((m) => said.push(m), file);
  expect(stale.prebuilt).toBe(false);
  expect(said.join('\n')).toMatch(/older than the workflow sources; bundling at start/);
  const code = (stale.option as { code: string }).code;
  expect(code.length).toBeGreaterThan(10_000);
  // …and saved for the next start, which then uses it as it is
  expect(fs.readFileSync(file, 'utf8')).toBe(code);
  expect(await workflowBundleForWorker((m) => said.push(m), file)).toEqual({ option: { codePath: file }, prebuilt: true });

  const none = path.join(dir, 'sub', 'none.js');
  const missing = await workflowBundleForWorker((m) => said.push(m), none);
  expect(missing.prebuilt).toBe(false);
  expect(said[said.length - 1]).toMatch(/no prebuilt workflow bundle .*saving it there/);
  expect(fs.existsSync(none)).toBe(true);
});

it('bundles from memory when the bundle cannot be saved, and says so', async () => {
  const blocked = path.join(dir, 'a-file');
  fs.writeFileSync(blocked, 'not a folder');
  const said: string[] = [];
  const out = await workflowBundleForWorker((m) => said.push(m), path.join(blocked, 'workflow-bundle.js'));
  expect(out.prebuilt).toBe(false);
  expect((out.option as { code: string }).code.length).toBeGreaterThan(10_000);
  expect(said[said.length - 1]).toMatch(/could not save the workflow bundle to .*using it from memory/);
});
