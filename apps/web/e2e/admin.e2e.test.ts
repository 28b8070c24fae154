/**
 * An admin in a real browser: launches an experiment from YAML (a bad spec first: its problems shown with their
 * lines), follows a round, pauses and resumes it (the workflow and the database reflect both), closes a round early,
 * reads plots, agreement and the audit trail with lineage, creates a labeler (token shown once, and it works) and
 * disables one, and cancels an experiment. Screenshots of each view go to .hone/screenshots.
 */
import type { Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from './support/browser';
import { E2E_TEMPORAL_UI, startE2eStack, type E2eStack } from './support/e2e-stack';

let stack: E2eStack;
let browser: BrowserSession;
const pageErrors: string[] = [];
let page: Page;

beforeAll(async () => {
  stack = await startE2eStack('admin');
  browser = await openBrowser(pageErrors);
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

const flags = { followsInstruction: true, hallucination: false, harmful: false };

/**
 * Two simulated labelers label `tasks` tasks through the HTTP API: the first ranks in the order shown, the second
 * the same but with the last two swapped on every other task (so agreement is high but not perfect).
 */
async function labelThroughApi(tokens: string[], experimentId: string, tasks: number): Promise<number> {
  let done = 0;
  for (let i = 0; done < tasks; i++) {
    let progressed = false;
    for (const [n, token] of tokens.entries()) {
      if (done >= tasks) break;
      const next = await stack.api('GET', `/api/v1/labeling/next?experimentId=${experimentId}`, undefined, token);
      const task = next.json.task;
      if (!task) continue;
      const ids: string[] = task.samples.map((s: { id: string }) => s.id);
      if (n === 1 && i % 2 === 1) [ids[ids.length - 1], ids[ids.length - 2]] = [ids[ids.length - 2], ids[ids.length - 1]];
      const r = await stack.api('POST', `/api/v1/labeling/tasks/${task.taskId}/ranking`, { ordering: ids, quality: 5, flags }, token);
      if (r.status !== 201) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.json)}`);
      if (r.json.taskCompleted) done++;
      progressed = true;
    }
    if (!progressed) break;
  }
  return done;
}

it('signs in with an admin token and shows the empty experiments list', async () => {
  await page.goto(stack.url + '/admin');
  await page.getByRole('heading', { name: 'hone admin' }).waitFor();
  await browser.screenshot('admin-1-sign-in');
  await page.locator('input[name="token"]').fill(stack.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Experiments', exact: true }).waitFor();
  await page.getByText('No experiments yet').waitFor();
});

it('refuses a bad spec with its problems and their lines, then launches the fixed one', async () => {
  await page.getByRole('link', { name: 'Launch experiment' }).click();
  await page.getByRole('heading', { name: 'Launch an experiment' }).waitFor();
  const bad = 'name: steered\nseed: 3\nrounds:\n  count: 0\n  promptsPerRound: 6\n  completionsPerPrompt: 9000\nlabeling: { quorum: 100%, deadline: 30m, overlap: 0.5 }\n';
  await page.locator('textarea[name="spec"]').fill(bad);
  await page.getByRole('button', { name: 'Launch', exact: true }).click();
  const issues = page.locator('[data-testid="spec-issues"] li');
  await issues.first().waitFor();
  const texts = await issues.allTextContents();
  expect(texts.some((t) => t.startsWith('line 4') && t.includes('rounds.count'))).toBe(true);
  expect(texts.some((t) => t.startsWith('line 6') && t.includes('rounds.completionsPerPrompt'))).toBe(true);
  await browser.screenshot('admin-2-launch-errors');
  // Selecting a problem puts the cursor on its line.
  await issues.filter({ hasText: 'rounds.count' }).getByRole('button').click();
  const selected = await page.locator('textarea[name="spec"]').evaluate((t: HTMLTextAreaElement) => t.value.slice(t.selectionStart, t.selectionEnd));
  expect(selected).toBe('  count: 0');
  expect(await stack.db.experiment.count()).toBe(0);

  const good = 'name: steered\nseed: 3\nrounds: { count: 2, promptsPerRound: 6, completionsPerPrompt: 4 }\nlabeling: { quorum: 100%, deadline: 30m, overlap: 0.5, assignmentExpiry: 10m }\nppo: { iterations: 2, iterationsPerActivity: 1, minibatch: 2, promptsPerIteration: 2 }\n';
  await page.locator('textarea[name="spec"]').fill(good);
  await page.getByRole('button', { name: 'Launch', exact: true }).click();
  await page.locator('[data-testid="experiment-name"]').filter({ hasText: 'steered' }).waitFor();
  expect(await stack.db.experiment.count()).toBe(1);
  const link = await page.locator('[data-testid="temporal-link"]').getAttribute('href');
  const e = await stack.db.experiment.findFirstOrThrow();
  expect(link).toBe(`${E2E_TEMPORAL_UI}/namespaces/default/workflows/${encodeURIComponent(e.workflowId as string)}`);
});

it('follows round 1 to quorum; pauses and resumes round 2 (workflow and database agree); closes it early', async () => {
  const e = await stack.db.experiment.findFirstOrThrow();
  const wf = e.workflowId as string;
  await stack.waitFor(wf, (s) => s.phase === 'labeling' && s.roundIndex === 0 && s.progress.labels !== undefined, 'round 1 to open');
  const a = await stack.labeler('ana', [e.id]);
  const b = await stack.labeler('ben', [e.id]);
  // Round 1: everything, by two labelers through the API (half the tasks go to both: overlap 0.5).
  await labelThroughApi([a.token, b.token], e.id, 6);
  await stack.waitFor(wf, (s) => s.phase === 'labeling' && s.roundIndex === 1 && s.progress.labels !== undefined, 'round 2 to open');
  // Round 2: two tasks so far.
  await labelThroughApi([a.token, b.token], e.id, 2);
  await stack.waitFor(wf, (s) => s.progress.labels?.completedTasks === 2, 'the workflow to count round 2’s first tasks');
  await page.locator('tr[data-round="1"] [data-testid="round-progress"]').filter({ hasText: '2 / 6' }).waitFor();
  await page.locator('[data-testid="chart-win-rate"] canvas').waitFor();
  await browser.screenshot('admin-3-experiment-labeling');

  // Pause: the workflow says paused, the round stops handing out tasks.
  await page.getByLabel('Reason for pausing, resuming or cancelling').fill('checking the samples');
  // The workflow records the paused status a moment after the update returns; the confirmation must survive the
  // page learning it (it once vanished when that record beat the page's refresh).
  const recordedPaused = page.waitForResponse(async (r) => r.url().endsWith(`/api/v1/experiments/${e.id}`) && (await r.json()).experiment.status === 'paused');
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.getByText('Paused: no new steps start').waitFor();
  await recordedPaused;
  expect(await page.getByText('Paused: no new steps start').isVisible()).toBe(true);
  expect((await stack.status(wf)).paused).toBe(true);
  await expectDb(async () => (await stack.db.round.findFirstOrThrow({ where: { experimentId: e.id, index: 2 } })).status, 'paused');
  expect((await stack.api('GET', `/api/v1/labeling/next?experimentId=${e.id}`, undefined, a.token)).json.task).toBeNull();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
  await browser.screenshot('admin-4-paused');

  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByText('Resumed.').waitFor();
  expect((await stack.status(wf)).paused).toBe(false);
  await expectDb(async () => (await stack.db.round.findFirstOrThrow({ where: { experimentId: e.id, index: 2 } })).status, 'open');

  // Close round 2 early: the wait ends with what is there, and the experiment runs to its end.
  await page.locator('tr[data-round="1"]').getByRole('button', { name: 'Close early…' }).click();
  await page.locator('tr[data-round="1"]').getByRole('button', { name: /^Close with 2 done/ }).click();
  await page.getByText('Round 2 closed with 2 completed tasks').waitFor();
  const done = await stack.env.client.workflow.getHandle(wf).result();
  expect(done).toMatchObject({ status: 'completed', roundsCompleted: 2 });
  const r2 = await stack.db.round.findFirstOrThrow({ where: { experimentId: e.id, index: 2 } });
  expect(r2).toMatchObject({ status: 'closed', closeReason: 'manual', tasksCompleted: 2 });
  const steering = await stack.db.auditEvent.findMany({ where: { experimentId: e.id, action: { endsWith: '_requested' } }, orderBy: { id: 'asc' } });
  expect(steering.map((x) => [x.action, (x.data as { accepted: boolean }).accepted, (x.data as { reason?: string }).reason ?? null])).toEqual([
    ['experiment.pause_requested', true, 'checking the samples'],
    ['experiment.resume_requested', true, null],
    ['experiment.close_round_requested', true, 'closed early from the admin view'],
  ]);
  await page.locator('[data-testid="experiment-name"]').waitFor();
  await page.locator('.pill.completed').first().waitFor();
  await page.locator('[data-testid="chart-kl"] canvas').waitFor();
  await browser.screenshot('admin-5-experiment-completed');
});

it('shows agreement per round beside InstructGPT, labeler statistics, and the audit trail with lineage', async () => {
  await page.getByRole('tab', { name: 'Labeling & agreement' }).click();
  const rows = page.locator('[data-testid="agreement"] tbody tr');
  await rows.first().waitFor();
  expect(await rows.count()).toBe(2);
  const first = await rows.first().locator('td').allTextContents();
  expect(Number(first[1])).toBeGreaterThan(0); // tasks ranked twice
  expect(first[2]).toMatch(/^\d+\.\d%$/);
  await page.getByText('InstructGPT: 72.6% ± 1.5%').waitFor();
  await page.locator('[data-testid="chart-agreement"] canvas').waitFor();
  const stats = await page.locator('[data-testid="labeler-stats"] tbody tr').allTextContents();
  expect(stats.some((t) => t.startsWith('ana'))).toBe(true);
  expect(stats.some((t) => t.startsWith('ben'))).toBe(true);
  await browser.screenshot('admin-6-labeling-agreement');

  await page.getByRole('tab', { name: 'Audit trail' }).click();
  await page.locator('[data-testid="audit"] tbody tr').first().waitFor();
  const actions = await page.locator('[data-testid="audit"] tbody tr td:nth-child(3)').allTextContents();
  for (const a of ['experiment.created', 'round.opened', 'ranking.submitted', 'experiment.pause_requested', 'round.closed', 'artifact.registered']) expect(actions).toContain(a);
  // Lineage: selecting the final policy highlights what it was made from, down to the SFT data.
  const lineage = page.locator('[data-testid="lineage"] tbody tr');
  const kinds = await lineage.locator('td:first-child').allTextContents();
  const lastPolicy = kinds.lastIndexOf('policy');
  await lineage.nth(lastPolicy).getByRole('button').click();
  const lit = await page.locator('[data-testid="lineage"] tbody tr.highlight td:first-child').allTextContents();
  expect(lit).toEqual(expect.arrayContaining(['dataset', 'policy', 'reward_model', 'checkpoint']));
  await page.evaluate(() => window.scrollTo(0, 0));
  await browser.screenshot('admin-7-audit-lineage');

  await page.getByRole('tab', { name: 'Spec' }).click();
  await page.locator('pre.spec').filter({ hasText: 'name: steered' }).waitFor();
});

it('creates a labeler whose token is shown once and works, and disables another', async () => {
  await page.getByRole('link', { name: 'Labelers' }).click();
  await page.getByRole('heading', { name: 'Add a labeler' }).waitFor();
  await page.locator('input[name="labeler-name"]').fill('cleo');
  await page.getByRole('button', { name: 'Create and show token' }).click();
  const token = (await page.locator('[data-testid="new-token"]').textContent()) as string;
  expect(token).toMatch(/^hone_[A-Za-z0-9_-]{43}$/);
  expect((await stack.api('GET', '/api/v1/me', undefined, token)).json).toMatchObject({ name: 'cleo', role: 'labeler', scope: '*' });
  await browser.screenshot('admin-8-labelers-token');
  await page.getByRole('button', { name: 'Done, hide it' }).click();
  expect(await page.locator('[data-testid="new-token"]').count()).toBe(0);
  // The token is stored hashed only: nowhere in the page any more, nowhere in the database.
  expect(await page.content()).not.toContain(token);
  expect(await stack.db.apiToken.count({ where: { tokenHash: token } })).toBe(0);

  await page.getByRole('button', { name: 'Disable ben' }).click();
  await page.getByRole('button', { name: 'Disable ben', exact: true }).last().click();
  await page.locator('[data-testid="labeler-stats"] tbody tr').filter({ hasText: 'ben' }).getByText('disabled').first().waitFor();
  const ben = await stack.db.labeler.findUniqueOrThrow({ where: { name: 'ben' } });
  expect(ben.disabled).toBe(true);
  await browser.screenshot('admin-9-labelers');
});

it('cancels a running experiment after a confirmation', async () => {
  const { experimentId, workflowId } = await stack.launch('name: to-cancel\nrounds: { count: 1, promptsPerRound: 4, completionsPerPrompt: 3 }\nlabeling: { deadline: 30m }\n');
  await stack.waitFor(workflowId, (s) => s.phase === 'labeling', 'labeling');
  await page.getByRole('link', { name: 'Experiments' }).click();
  await page.locator('[data-testid="experiments"] tbody tr').filter({ hasText: 'to-cancel' }).click();
  await page.locator('[data-testid="experiment-name"]').filter({ hasText: 'to-cancel' }).waitFor();
  await page.getByRole('button', { name: 'Cancel…' }).click();
  await page.getByRole('button', { name: 'Yes, cancel the experiment' }).click();
  expect(await stack.env.client.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'cancelled' });
  await expectDb(async () => (await stack.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).status, 'cancelled');
  await page.getByRole('link', { name: 'Experiments' }).click();
  await page.locator('[data-testid="experiments"] tbody tr').filter({ hasText: 'to-cancel' }).locator('.pill.cancelled').waitFor();
  await browser.screenshot('admin-10-experiments');
});

/** Polls a database read until it returns `want` (activities write after the workflow answers). */
async function expectDb<T>(read: () => Promise<T>, want: T, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let got = await read();
  while (got !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    got = await read();
  }
  expect(got).toBe(want);
}
