import { renderLineageTree } from './lineage-tree';
import { formatDuration, progressBar } from './progress-bar';
import { latestTrainingStep, renderExperimentStatus } from './status-view';
import { renderTimeline } from './timeline';

const art = (id: string, kind: string, key: string, createdAt = '2026-01-01T00:00:00Z') => ({ id, kind, key: `experiment-0190abcd-0000-7000-8000-000000000000/${key}`, uri: `file:///x/${key}`, sha256: 'ab'.repeat(32), bytes: 2048, createdAt });

describe('CLI rendering', () => {
  it('draws progress bars and durations', () => {
    expect(progressBar(6, 24, 8)).toBe('[██░░░░░░] 6/24 (25%)');
    expect(progressBar(30, 24, 4)).toBe('[████] 30/24 (100%)');
    expect(progressBar(0, 0, 4)).toBe('[░░░░] 0/0 (0%)');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });

  it('draws lineage as a tree from the report down, printing a shared ancestor once', () => {
    const sft = art('a-sft', 'policy', 'prepare/prepare-policy/policy');
    const rm = art('a-rm', 'reward_model', 'r0/fit-reward-model/reward-model');
    const p1 = art('a-p1', 'policy', 'r0/ppo-0-4/policy');
    const report = art('a-report', 'report', 'report.json');
    const lines = renderLineageTree([sft, rm, p1, report], [
      { childId: 'a-rm', parentId: 'a-sft', role: 'init' },
      { childId: 'a-p1', parentId: 'a-sft', role: 'init' },
      { childId: 'a-p1', parentId: 'a-rm', role: 'reward_model' },
      { childId: 'a-report', parentId: 'a-p1', role: 'policy' },
      { childId: 'a-report', parentId: 'a-sft', role: 'reference' },
    ]);
    expect(lines[0]).toMatch(/^report report\.json {2}\[a-report · sha256 abababababab · 2\.0 KB\]$/);
    expect(lines[1]).toMatch(/^├─ policy: policy r0\/ppo-0-4\/policy/);
    expect(lines[2]).toMatch(/^│ {2}├─ init: policy prepare\/prepare-policy\/policy {2}\[/);
    expect(lines[3]).toMatch(/^│ {2}└─ reward_model: reward_model r0\/fit-reward-model\/reward-model {2}\[/);
    expect(lines[4]).toBe('│     └─ init: policy prepare/prepare-policy/policy (↑)');
    expect(lines[5]).toBe('└─ reference: policy prepare/prepare-policy/policy (↑)');
    expect(lines).toHaveLength(6);
  });

  it('folds the labelers’ stretches of the timeline and summarises known events', () => {
    const ev = (id: number, action: string, actorName: string | null, data: Record<string, unknown> = {}) => ({ id, at: `t${id}`, actor: actorName ? `labeler:${actorName}` : 'workflow:experiment-0190abcd-0000-7000-8000-000000000000', actorName, action, subject: { type: 'x', id: 'y' }, data });
    const lines = renderTimeline([
      ev(1, 'experiment.status_changed', null, { from: 'pending', to: 'running', phase: 'starting' }),
      ev(2, 'task.assigned', 'ann'),
      ev(3, 'ranking.submitted', 'ann'),
      ev(4, 'task.assigned', 'bob'),
      ev(5, 'ranking.submitted', 'bob'),
      ev(6, 'ranking.submitted', 'ann'),
      ev(7, 'round.closed', null, { roundIndex: 0, reason: 'quorum' }),
    ]);
    expect(lines).toEqual([
      't1  workflow  experiment.status_changed  pending → running (phase starting)',
      't2  labelers  task.assigned ×2, ranking.submitted ×3 (rankings: ann 2, bob 1) until t6',
      't7  workflow  round.closed  round 1 closed (quorum)',
    ]);
    expect(renderTimeline([ev(2, 'task.assigned', 'ann'), ev(3, 'ranking.submitted', 'ann')], true)).toHaveLength(2);
  });

  it('shows training progress inside a chunk from the per-iteration metric rows', () => {
    const m = (name: string, step: number, value: number, round = 1) => ({ round, name, step, value, at: '' });
    const metrics = [m('ppo/iter/mean_reward', 3, 0.2), m('ppo/iter/mean_reward', 5, 0.4), m('ppo/iter/kl_mean', 5, 1.5), m('ppo/iter/mean_reward', 9, 9, 2)];
    expect(latestTrainingStep(metrics, 1)).toEqual({ trainer: 'ppo', step: 5, values: { mean_reward: 0.4, kl_mean: 1.5 } });
    const live = { experimentId: 'e', phase: 'training' as const, round: 1, roundIndex: 0, roundsTotal: 2, progress: { rounds: { completed: 0, total: 2 }, training: { trainer: 'ppo' as const, unit: 'iterations' as const, done: 0, total: 12 } }, paused: false, cancelRequested: false, startedAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
    const experiment = { id: 'e', name: 'demo', status: 'running' as const, workflowId: 'experiment-e', seed: 1, roundsPlanned: 2, currentRound: 1, error: null, createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:00Z', finishedAt: null, spec: {}, specYaml: '', rounds: [] };
    const lines = renderExperimentStatus({ experiment, live }, metrics, Date.parse('2026-01-01T00:01:00Z'));
    expect(lines[0]).toBe('demo (e) — running; training, round 1/2');
    expect(lines).toContainEqual(expect.stringMatching(/training {2}\[.*\] 5\/12 \(42%\) iterations \(ppo\)/));
    expect(lines).toContainEqual('  ppo iteration 5: mean_reward 0.4 · kl_mean 1.5');
  });
});
