/**
 * Turning a rollout into PPO training targets (InstructGPT §3.6 / Ziegler et al. 2019 / TRL's PPOTrainer):
 * per-token reward r_t = −β·(log π_old(a_t) − log π_ref(a_t)), plus the reward model's score on the last token;
 * GAE with the value network's estimates; advantages whitened over the whole rollout.
 */
import { computeGae, whiten } from './gae';
import type { TokenizedSequence } from './sequences';

/** One sampled completion with everything the update needs. */
export interface Episode {
  sequence: TokenizedSequence;
  /** Whether the completion ended with EOS (false: cut at maxNewTokens or the context). */
  finished: boolean;
  /** log π_old of each completion token (the rollout policy, recomputed with the training graph's model). */
  oldLogProbs: Float32Array;
  refLogProbs: Float32Array;
  /** V(s_t) before each completion token. */
  values: Float32Array;
  /** Reward-model score (normalised: reference samples average 0), before any penalty. */
  score: number;
  /** The score used as the final reward: score − the missing-EOS penalty when not finished. */
  finalReward: number;
  rewards: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
  /** Σ_t log π_old − log π_ref over the completion: a Monte-Carlo sample of KL(π‖π_ref) per sequence. */
  kl: number;
}

/**
 * Per-token rewards of one completion: −β·(old − ref) at every token (the k1 KL estimator InstructGPT and TRL
 * use), plus `finalReward` on the last token.
 */
export function tokenRewards(oldLogProbs: ArrayLike<number>, refLogProbs: ArrayLike<number>, finalReward: number, beta: number): { rewards: Float64Array; kl: number } {
  const n = oldLogProbs.length;
  if (refLogProbs.length !== n) throw new Error(`tokenRewards: ${n} policy log-probs but ${refLogProbs.length} reference log-probs`);
  if (n === 0) throw new Error('tokenRewards: empty completion');
  const rewards = new Float64Array(n);
  let kl = 0;
  for (let t = 0; t < n; t++) {
    const k = oldLogProbs[t] - refLogProbs[t];
    kl += k;
    rewards[t] = -beta * k;
  }
  rewards[n - 1] += finalReward;
  return { rewards, kl };
}

/** Inputs of {@link buildEpisodes} for one completion. */
export interface RolloutItem {
  sequence: TokenizedSequence;
  finished: boolean;
  oldLogProbs: Float32Array;
  refLogProbs: Float32Array;
  values: Float32Array;
  score: number;
}

/**
 * Rewards, GAE advantages and returns for every completion of a rollout, then advantage whitening over all
 * completion tokens of the rollout (mean 0, std 1).
 */
export function buildEpisodes(items: readonly RolloutItem[], options: { beta: number; gamma: number; lambda: number; missingEosPenalty: number; whitenAdvantages?: boolean }): Episode[] {
  const episodes = items.map((it): Episode => {
    const finalReward = it.finished ? it.score : it.score - options.missingEosPenalty;
    const { rewards, kl } = tokenRewards(it.oldLogProbs, it.refLogProbs, finalReward, options.beta);
    const { advantages, returns } = computeGae(rewards, it.values, options.gamma, options.lambda);
    return { ...it, finalReward, rewards, advantages, returns, kl };
  });
  if (options.whitenAdvantages ?? true) {
    const all = new Float64Array(episodes.reduce((s, e) => s + e.advantages.length, 0));
    let at = 0;
    for (const e of episodes) {
      all.set(e.advantages, at);
      at += e.advantages.length;
    }
    whiten(all);
    at = 0;
    for (const e of episodes) {
      e.advantages.set(all.subarray(at, at + e.advantages.length));
      at += e.advantages.length;
    }
  }
  return episodes;
}
