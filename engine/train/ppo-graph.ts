/**
 * The PPO update graph: the policy and a separate value network (weights prefixed `value.`, initialised from the
 * reward model) over the same right-padded token rows. One run gives the clipped surrogate, the clipped value
 * loss, the entropy, the current log-probs and values (for the logged statistics) and the gradients of both
 * networks. The two parameter sets are disjoint, so their gradients come from one backward pass of the sum.
 */
import { Graph } from '../autodiff/graph';
import type { ModelConfig } from '../models/config';
import { gptForward } from '../models/gpt';
import type { Tensor } from '../onnx/tensor';
import { clippedValueLoss, maskedMean, ppoPolicyLoss } from './losses';

/** Prefix of the value network's weights in the PPO graph. */
export const VALUE_PREFIX = 'value.';

/** Hyper-parameters baked into the PPO graph. */
export interface PpoGraphOptions {
  clip: number;
  valueClip: number;
  /** Coefficient of an entropy bonus in the policy loss (0 = none; entropy is logged either way). */
  entropyCoef: number;
}

/** A built PPO update graph. */
export interface PpoGraph {
  bytes: Uint8Array;
  policyParams: { name: string; shape: readonly number[] }[];
  valueParams: { name: string; shape: readonly number[] }[];
}

/**
 * Inputs: input_ids, targets (int64 [B,T]), loss_mask, old_logp, advantages, returns, old_values ([B,T]).
 * Outputs: policy_loss, value_loss, entropy (scalars), logp, values ([B,T]), `grad.<param>` for every param.
 */
export function buildPpoGraph(cfg: ModelConfig, batch: number, seq: number, o: PpoGraphOptions): PpoGraph {
  const g = new Graph();
  const pol = gptForward(g, cfg, { batch, seq });
  const val = gptForward(g, cfg, { batch, seq }, { valueHead: true, prefix: VALUE_PREFIX, inputs: { inputIds: pol.inputIds } });
  const input = (name: string, dtype?: 'int64'): Tensor => g.input(name, [batch, seq], dtype);
  const targets = input('targets', 'int64');
  const mask = input('loss_mask');
  const oldLogp = input('old_logp');
  const advantages = input('advantages');
  const returns = input('returns');
  const oldValues = input('old_values');
  const logp = g.gatherLogProbs(pol.logits, targets);
  const policyLoss = ppoPolicyLoss(g, logp, oldLogp, advantages, mask, o.clip);
  const valueLoss = clippedValueLoss(g, val.values as Tensor, oldValues, returns, mask, o.valueClip);
  const entropy = maskedMean(g, g.entropy(pol.logits), mask);
  const policyObjective = o.entropyCoef > 0 ? g.sub(policyLoss, g.mul(entropy, o.entropyCoef)) : policyLoss;
  const total = g.add(policyObjective, valueLoss);
  const grads = g.gradients(total);
  const polNames = new Set(pol.paramNames);
  const params = g.params.map((p) => ({ name: p.name, shape: p.shape }));
  const bytes = g.build({
    outputs: {
      policy_loss: policyLoss,
      value_loss: valueLoss,
      entropy,
      logp,
      values: val.values as Tensor,
      ...Object.fromEntries(Object.entries(grads).map(([k, t]) => [`grad.${k}`, t])),
    },
  });
  return { bytes, policyParams: params.filter((p) => polNames.has(p.name)), valueParams: params.filter((p) => !polNames.has(p.name)) };
}

/** PPO-ptx: the plain next-token loss on pretraining texts. Inputs input_ids, targets, loss_mask [B,T]. */
export function buildPtxGraph(cfg: ModelConfig, batch: number, seq: number): { bytes: Uint8Array; params: { name: string; shape: readonly number[] }[] } {
  const g = new Graph();
  const m = gptForward(g, cfg, { batch, seq });
  const loss = g.crossEntropy(m.logits, g.input('targets', [batch, seq], 'int64'), g.input('loss_mask', [batch, seq]));
  const grads = g.gradients(loss);
  return {
    bytes: g.build({ outputs: { loss, ...Object.fromEntries(Object.entries(grads).map(([k, t]) => [`grad.${k}`, t])) } }),
    params: g.params.map((p) => ({ name: p.name, shape: p.shape })),
  };
}
