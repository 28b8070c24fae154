import { Rng, type Seed } from '../util/rng';
import type { ModelConfig } from './config';
import { type HeadOptions, paramNames, paramShapes } from './param-names';

/** Named float32 weights of one or more models (names from ./param-names). */
export type Weights = Record<string, Float32Array>;

/** Standard deviation of GPT-2's weight init. */
export const INIT_STD = 0.02;

/**
 * Seeded GPT-2 initialisation (Radford et al. 2019; HF GPT2PreTrainedModel._init_weights): weights N(0, 0.02),
 * position embedding N(0, 0.01), the two residual projections per block (attn.c_proj, mlp.c_proj) N(0, 0.02/√(2L))
 * so the residual stream's variance does not grow with depth, biases 0, LayerNorm gains 1. Heads N(0, 0.02),
 * bias 0. Every tensor draws from its own stream `fork(name without prefix)`, so adding a head or a prefix does
 * not change the other tensors.
 */
export function initGptWeights(cfg: ModelConfig, seed: Seed, heads: HeadOptions = {}, prefix = ''): Weights {
  const root = Rng.fromSeed(seed);
  const residualStd = INIT_STD / Math.sqrt(2 * cfg.layers);
  const out: Weights = {};
  for (const { name, shape } of paramShapes(cfg, heads, prefix)) {
    const bare = name.slice(prefix.length);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (bare.endsWith('.bias')) {
      // zeros
    } else if (/\.ln_\d\.weight$|ln_f\.weight$/.test(bare)) {
      data.fill(1);
    } else {
      const std = bare === 'transformer.wpe.weight' ? 0.01 : /c_proj\.weight$/.test(bare) ? residualStd : INIT_STD;
      const rng = root.fork(bare);
      for (let i = 0; i < n; i++) data[i] = rng.normal(0, std);
    }
    out[name] = data;
  }
  return out;
}

/** Copies of the trunk tensors (`transformer.*`) of `weights`, renamed from one prefix to another. */
export function trunkWeights(weights: Readonly<Weights>, fromPrefix = '', toPrefix = ''): Weights {
  const out: Weights = {};
  const start = `${fromPrefix}transformer.`;
  for (const [name, data] of Object.entries(weights)) {
    if (name.startsWith(start)) out[toPrefix + name.slice(fromPrefix.length)] = data.slice();
  }
  if (Object.keys(out).length === 0) throw new Error(`trunkWeights: no tensors named ${start}* among ${Object.keys(weights).slice(0, 5).join(', ')}…`);
  return out;
}

/**
 * Reward-model weights initialised from a policy (InstructGPT §3.5: the RM starts from the SFT model): the
 * policy's trunk, copied, plus a fresh seeded reward head. The policy's value head, if any, is dropped.
 */
export function rewardModelFromPolicy(cfg: ModelConfig, policy: Readonly<Weights>, seed: Seed): Weights {
  const head = initGptWeights(cfg, seed, { rewardHead: true });
  const [w, b] = paramNames.rewardHead();
  return { ...trunkWeights(policy), [w]: head[w], [b]: head[b] };
}

/**
 * A separate value network initialised from the reward model (InstructGPT §3.6: "we initialize the value
 * function from the RM"): the RM's trunk and its head, the head becoming a per-token value head. `prefix`
 * names the result for a graph that also holds the policy (e.g. 'value.').
 */
export function valueModelFromReward(reward: Readonly<Weights>, prefix = ''): Weights {
  const [rw, rb] = paramNames.rewardHead();
  const [vw, vb] = paramNames.valueHead(prefix);
  if (!reward[rw] || !reward[rb]) throw new Error(`valueModelFromReward: the reward weights lack ${rw} / ${rb}`);
  return { ...trunkWeights(reward, '', prefix), [vw]: reward[rw].slice(), [vb]: reward[rb].slice() };
}

/**
 * The cheaper alternative: a value head on the policy's own trunk, initialised from the reward head (the RM
 * head's readout direction, applied to the policy's features). Returns the policy's tensors plus `value_head.*`.
 */
export function policyWithValueHeadFromReward(policy: Readonly<Weights>, reward: Readonly<Weights>): Weights {
  const [rw, rb] = paramNames.rewardHead();
  const [vw, vb] = paramNames.valueHead();
  if (!reward[rw] || !reward[rb]) throw new Error(`policyWithValueHeadFromReward: the reward weights lack ${rw} / ${rb}`);
  const out: Weights = {};
  for (const [name, data] of Object.entries(policy)) out[name] = data.slice();
  out[vw] = reward[rw].slice();
  out[vb] = reward[rb].slice();
  return out;
}

/** Deep copy of a weight set. */
export function cloneWeights(weights: Readonly<Weights>): Weights {
  const out: Weights = {};
  for (const [name, data] of Object.entries(weights)) out[name] = data.slice();
  return out;
}
