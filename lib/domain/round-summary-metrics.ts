/**
 * A finished round's outcome, as the experiment workflow reports it (structurally the contract's `RoundSummary`;
 * declared here because lib/ does not import from activities/).
 */
export interface RoundSummary {
  roundIndex: number;
  samples: { samplesArtifactId: string; prompts: number; completions: number };
  labeling: { taskCount: number; quorum: number; completedTasks: number; rankings: number; closedBy: string };
  rewardModel: { rewardModelArtifactId: string; heldoutAccuracy: number; pairsUsed: number };
  training:
    | { trainer: 'ppo'; policyArtifactId: string; iterations: number; metrics: { meanReward: number; klMean: number; klCoef: number; clipFraction: number; entropy: number; valueLoss: number; policyLoss: number } }
    | { trainer: 'dpo'; policyArtifactId: string; steps: number; metrics: { loss: number; rewardAccuracy: number; klMean: number } };
  evaluation: { winRate: number; winRateCi95: [number, number] | number[]; klMean: number; rmScore: number; heldoutPrompts: number };
  startedAt: string;
  finishedAt: string;
}

/** One metric value at a step. */
export interface MetricPoint {
  name: string;
  step: number;
  value: number;
}

/**
 * The metric rows a round's summary becomes. Names are `<area>/<metric>`; training metrics are recorded at the
 * step the round's training ended (PPO iterations / DPO steps), everything else at step 0.
 */
export function roundSummaryMetrics(summary: RoundSummary): MetricPoint[] {
  const out: MetricPoint[] = [];
  const add = (name: string, value: number, step = 0) => out.push({ name, step, value });
  const l = summary.labeling;
  add('labeling/task_count', l.taskCount);
  add('labeling/quorum', l.quorum);
  add('labeling/completed_tasks', l.completedTasks);
  add('labeling/rankings', l.rankings);
  add('samples/prompts', summary.samples.prompts);
  add('samples/completions', summary.samples.completions);
  add('rm/heldout_acc', summary.rewardModel.heldoutAccuracy);
  add('rm/pairs_used', summary.rewardModel.pairsUsed);
  const t = summary.training;
  if (t.trainer === 'ppo') {
    const m = t.metrics;
    for (const [k, v] of Object.entries({ mean_reward: m.meanReward, kl_mean: m.klMean, kl_coef: m.klCoef, clip_fraction: m.clipFraction, entropy: m.entropy, value_loss: m.valueLoss, policy_loss: m.policyLoss })) add(`ppo/${k}`, v, t.iterations);
  } else {
    const m = t.metrics;
    for (const [k, v] of Object.entries({ loss: m.loss, reward_accuracy: m.rewardAccuracy, kl_mean: m.klMean })) add(`dpo/${k}`, v, t.steps);
  }
  const e = summary.evaluation;
  add('eval/win_rate', e.winRate);
  add('eval/win_rate_ci95_lo', e.winRateCi95[0]);
  add('eval/win_rate_ci95_hi', e.winRateCi95[1]);
  add('eval/kl_mean', e.klMean);
  add('eval/rm_score', e.rmScore);
  add('eval/heldout_prompts', e.heldoutPrompts);
  return out;
}
