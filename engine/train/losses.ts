/**
 * The RLHF losses as autodiff graph pieces. Each takes tensors a model produced (rewards, log-probs, values) plus
 * inputs the trainer feeds, and returns a scalar loss; the gradient comes from `Graph.grad`. Every one has a
 * finite-difference gradient check in losses.test.ts. Formulas follow InstructGPT (Ouyang et al. 2022, §3.5),
 * PPO (Schulman et al. 2017) as TRL's PPOTrainer implements it, and DPO (Rafailov et al. 2023).
 */
import type { Graph } from '../autodiff/graph';
import type { Tensor } from '../onnx/tensor';

/** Σ mask·x / max(Σ mask, 1): the token mean PPO uses over a minibatch (mask is data, not differentiated). */
export function maskedMean(g: Graph, x: Tensor, mask: Tensor): Tensor {
  const m = g.stopGradient(mask);
  return g.div(g.sum(g.mul(x, m)), g.max(g.sum(m), 1));
}

/**
 * Reward-model ranking loss over comparison pairs. `rewards` [N] holds one scalar per sequence of the batch (all K
 * completions of every prompt, flattened); `winners` / `losers` (int64 [P]) index into it; `weights` [P] is
 * 1 / (B · pairs of that prompt) for a real pair and 0 for padding. Then
 *   loss = −Σ_p weights_p · log σ(r_winner − r_loser)
 * which is InstructGPT's −1/C(K,2) Σ log σ(r_w − r_l) per prompt (ties skipped, so "C(K,2)" is that prompt's pair
 * count), averaged over the B prompts of the batch: each prompt is one batch element, whatever its K.
 */
export function rankingLoss(g: Graph, rewards: Tensor, winners: Tensor, losers: Tensor, weights: Tensor): { loss: Tensor; margins: Tensor } {
  if (rewards.rank !== 1) throw new Error(`rankingLoss: rewards ${rewards} must be 1-D (one score per sequence)`);
  const margins = g.sub(g.gatherElements(rewards, winners, 0), g.gatherElements(rewards, losers, 0));
  const loss = g.neg(g.sum(g.mul(g.logSigmoid(margins), g.stopGradient(weights))));
  return { loss, margins };
}

/**
 * PPO's clipped surrogate, as a loss to minimise, averaged over the masked tokens:
 *   ratio = exp(logp − oldLogp),  loss = mean_mask max(−A·ratio, −A·clip(ratio, 1−ε, 1+ε)).
 * `oldLogp` and `advantages` are data (the rollout's log-probs and whitened GAE advantages).
 */
export function ppoPolicyLoss(g: Graph, logp: Tensor, oldLogp: Tensor, advantages: Tensor, mask: Tensor, clip: number): Tensor {
  if (!(clip > 0 && clip < 1)) throw new RangeError(`ppoPolicyLoss: clip must be in (0, 1), got ${clip}`);
  const ratio = g.exp(g.sub(logp, g.stopGradient(oldLogp)));
  const adv = g.stopGradient(advantages);
  const unclipped = g.neg(g.mul(ratio, adv));
  const clipped = g.neg(g.mul(g.clip(ratio, 1 - clip, 1 + clip), adv));
  return maskedMean(g, g.max(unclipped, clipped), mask);
}

/**
 * PPO's clipped value loss: ½ · mean_mask max((V − R)², (V_old + clip(V − V_old, −c, c) − R)²), so one update cannot
 * move a value estimate more than c past the rollout's (TRL's `cliprange_value`).
 */
export function clippedValueLoss(g: Graph, values: Tensor, oldValues: Tensor, returns: Tensor, mask: Tensor, clip: number): Tensor {
  if (!(clip > 0)) throw new RangeError(`clippedValueLoss: clip must be positive, got ${clip}`);
  const old = g.stopGradient(oldValues);
  const ret = g.stopGradient(returns);
  const vClipped = g.add(old, g.clip(g.sub(values, old), -clip, clip));
  return g.mul(maskedMean(g, g.max(g.square(g.sub(values, ret)), g.square(g.sub(vClipped, ret))), mask), 0.5);
}

/**
 * Sum over the masked positions of log p(target) per sequence: logits [N, T, V], targets int64 [N, T], mask [N, T]
 * → [N]. With the mask on the completion tokens this is log π(completion | prompt).
 */
export function sequenceLogProbs(g: Graph, logits: Tensor, targets: Tensor, mask: Tensor): Tensor {
  return g.reduceSum(g.mul(g.gatherLogProbs(logits, targets), g.stopGradient(mask)), [-1]);
}

/**
 * DPO (Rafailov et al. 2023): with h = β·((log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))),
 * loss = −mean log σ(h) over the pairs (weighted by `weights` [P] when given: Σ weights·(−log σ(h))). `h` is the
 * implicit reward margin (logged; > 0 means the policy prefers the chosen completion more than the reference does).
 */
export function dpoLoss(
  g: Graph,
  policyChosen: Tensor,
  policyRejected: Tensor,
  refChosen: Tensor,
  refRejected: Tensor,
  beta: number,
  weights?: Tensor,
): { loss: Tensor; margins: Tensor } {
  if (!(beta > 0)) throw new RangeError(`dpoLoss: beta must be positive, got ${beta}`);
  const margins = g.mul(g.sub(g.sub(policyChosen, g.stopGradient(refChosen)), g.sub(policyRejected, g.stopGradient(refRejected))), beta);
  const nll = g.neg(g.logSigmoid(margins));
  const loss = weights ? g.sum(g.mul(nll, g.stopGradient(weights))) : g.mean(nll);
  return { loss, margins };
}
