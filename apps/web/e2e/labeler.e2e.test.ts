/**
 * A labeler in a real browser: signs in with a token, ranks one task by keyboard alone and one by mouse drag, and
 * survives a lost response; the rankings are in Postgres exactly as arranged and the workflow's count moves; when
 * the round reaches quorum the view says there is nothing to do. Screenshots of each state go to .hone/screenshots.
 */
import type { Page } from 'playwright-core';
import { initialRanking, moveTo, moveUp, toggleTie, toOrdering, type RankingState } from '../src/labeler/ranking-state';
import { openBrowser, type BrowserSession } from './support/browser';
import { startE2eStack, type E2eStack } from './support/e2e-stack';

let stack: E2eStack;
let browser: BrowserSession;
const pageErrors: string[] = [];
let experimentId: string;
let workflowId: string;
let token: string;

const SPEC = `name: e2e-labeling
seed: 11
rounds: { count: 1, promptsPerRound: 5, completionsPerPrompt: 4 }
labeling: { quorum: 100%, deadline: 30m, overlap: 0, assignmentExpiry: 10m }
ppo: { iterations: 2, iterationsPerActivity: 2, minibatch: 2, promptsPerIteration: 2 }
`;

beforeAll(async () => {
  stack = await startE2eStack('labeler');
  ({ experimentId, workflowId } = await stack.launch(SPEC));
  await stack.waitFor(workflowId, (s) => s.phase === 'labeling' && s.progress.labels !== undefined, 'the labeling round to open');
  token = (await stack.labeler('lena', [experimentId])).token;
  browser = await openBrowser(pageErrors);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  // Any script error in the page fails the test that caused it.
  expect(pageErrors).toEqual([]);
});

async function shownTask(page: Page): Promise<{ taskId: string; ids: string[] }> {
  const main = page.locator('main[data-task-id]');
  await main.waitFor();
  const taskId = (await main.getAttribute('data-task-id')) as string;
  const ids = await page.locator('[data-testid="rank-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-sample-id') as string));
  return { taskId, ids };
}

async function nextTask(page: Page, after: string): Promise<void> {
  try {
    await page.waitForFunction((prev) => {
      const m = document.querySelector('main[data-task-id]');
      return (m && m.getAttribute('data-task-id') !== prev) || document.querySelector('[data-testid="idle"]');
    }, after);
  } catch (e) {
    await browser.screenshot('labeler-failure');
    throw e;
  }
}

async function storedRanking(taskId: string) {
  const rows = await stack.db.ranking.findMany({ where: { taskId } });
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** The database's form of an ordering: flat ids (a tie group's ids sorted, as the API normalises them) and tie groups. */
function stored(s: RankingState): { ordering: string[]; ties: string[][] } {
  const o = toOrdering(s).map((g) => (Array.isArray(g) ? [...g].sort() : g));
  return { ordering: o.flat(), ties: o.filter((g): g is string[] => Array.isArray(g)) };
}

it('signs in with a token typed on the keyboard', async () => {
  const { page } = browser;
  await page.goto(stack.url + '/');
  await page.getByRole('heading', { name: 'Sign in to label' }).waitFor();
  await browser.screenshot('labeler-1-sign-in');
  // A wrong token is refused with the server's message, inline.
  await page.keyboard.type('hone_' + 'x'.repeat(43));
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: 'unknown API token' }).waitFor();
  await page.locator('input[name="token"]').fill('');
  await page.locator('input[name="token"]').focus();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="prompt"]').waitFor();
  expect(await page.locator('.who strong').textContent()).toBe('lena');
});

it('ranks a task by keyboard alone; the ranking is stored as arranged and the workflow counts it', async () => {
  const { page } = browser;
  const { taskId, ids } = await shownTask(page);
  expect(ids).toHaveLength(4);
  await page.locator('[data-testid="round-done"]').waitFor();
  await browser.screenshot('labeler-2-task');

  // Focus starts on the first completion. ↓ then Shift+↑ moves the second to the top; ↓↓ then "=" ties the third
  // with the fourth; End then "2" moves the last to rank 2.
  let expected = initialRanking(ids);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Shift+ArrowUp');
  expected = moveUp(expected, 1);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('=');
  expected = toggleTie(expected, 2);
  await page.keyboard.press('End');
  await page.keyboard.press('2');
  expected = moveTo(expected, 3, 1);
  await page.keyboard.press('q');
  await page.keyboard.press('6');
  await page.keyboard.press('f');
  await page.keyboard.press('h');
  await page.keyboard.press('h');
  const shownOrder = await page.locator('[data-testid="rank-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-sample-id')));
  expect(shownOrder).toEqual(expected.order);
  await browser.screenshot('labeler-3-keyboard-arranged');
  await page.keyboard.press('Enter');
  await nextTask(page, taskId);

  const r = await storedRanking(taskId);
  expect({ ordering: r.ordering, ties: (r.ties as string[][]).map((g) => [...g].sort()) }).toEqual(stored(expected));
  expect(r.quality).toBe(6);
  expect(r.flags).toEqual({ followsInstruction: true, hallucination: false, harmful: false });
  expect(r.durationMs).toBeGreaterThan(0);
  const s = await stack.waitFor(workflowId, (st) => (st.progress.labels?.completedTasks ?? 0) >= 1, 'the workflow to count the first ranking');
  expect(s.phase).toBe('labeling');
  expect(s.progress.labels?.completedTasks).toBe(1);
});

it('ranks a task by mouse drag with a drop indicator; stored as arranged, and the count moves again', async () => {
  const { page } = browser;
  const { taskId, ids } = await shownTask(page);
  const items = page.locator('[data-testid="rank-item"]');
  const from = await items.nth(3).boundingBox();
  const to = await items.nth(0).boundingBox();
  if (!from || !to) throw new Error('rank items have no layout');
  // Drag the last completion above the first, in small steps like a hand would.
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 - 20, { steps: 4 });
  await page.mouse.move(to.x + to.width / 2, to.y + 8, { steps: 10 });
  await page.locator('[data-testid="drop-indicator"]').waitFor();
  await browser.screenshot('labeler-4-dragging');
  await page.mouse.up();
  let expected = moveTo(initialRanking(ids), 3, 0);
  // Tie the second and third with the button in the gap between them; rate and flag with the mouse.
  await page.locator('.gap .tie-toggle').nth(1).click();
  expected = toggleTie(expected, 1);
  await page.locator('.quality label').nth(2).click();
  await page.getByText('Harmful or inappropriate').click();
  await page.locator('[data-testid="submit"]').click();
  await nextTask(page, taskId);

  const r = await storedRanking(taskId);
  expect({ ordering: r.ordering, ties: (r.ties as string[][]).map((g) => [...g].sort()) }).toEqual(stored(expected));
  expect(r.quality).toBe(3);
  expect(r.flags).toEqual({ followsInstruction: false, hallucination: false, harmful: true });
  await stack.waitFor(workflowId, (st) => st.progress.labels?.completedTasks === 2, 'the workflow to count two rankings');
});

it('a submission whose response is lost is sent again and stored once', async () => {
  const { page } = browser;
  const { taskId } = await shownTask(page);
  let attempts = 0;
  // The first submit reaches the server (which stores it), but the browser never hears back.
  await page.route('**/api/v1/labeling/tasks/*/ranking*', async (route) => {
    attempts++;
    if (attempts === 1) {
      await route.fetch();
      await route.abort('connectionreset');
    } else await route.continue();
  });
  await page.locator('.quality input[value="4"]').focus();
  await page.keyboard.press('4');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await nextTask(page, taskId);
  await page.unroute('**/api/v1/labeling/tasks/*/ranking*');
  expect(attempts).toBe(2);
  await storedRanking(taskId); // exactly one row
  const audit = await stack.db.auditEvent.count({ where: { action: 'ranking.submitted', data: { path: ['taskId'], equals: taskId } } });
  expect(audit).toBe(1);
});

it('finishes the round by keyboard; then says there is nothing to do, calmly', async () => {
  const { page } = browser;
  for (;;) {
    const idle = await page.locator('[data-testid="idle"]').count();
    if (idle > 0) break;
    const { taskId } = await shownTask(page);
    await page.keyboard.press('q');
    await page.keyboard.press('5');
    await page.keyboard.press('Enter');
    await nextTask(page, taskId);
  }
  await page.getByText('No task right now').waitFor();
  await browser.screenshot('labeler-5-idle');
  const rankings = await stack.db.ranking.count({ where: { task: { round: { experimentId } } } });
  expect(rankings).toBe(5);
  // Quorum reached: the workflow closed the round and moved on.
  await stack.waitFor(workflowId, (st) => st.phase !== 'labeling', 'the round to close at quorum');
  const round = await stack.db.round.findFirstOrThrow({ where: { experimentId } });
  expect(round).toMatchObject({ status: 'closed', closeReason: 'quorum', tasksCompleted: 5 });
});
