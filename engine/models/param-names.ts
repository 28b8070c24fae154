import type { ModelConfig } from './config';

/**
 * Parameter names, Hugging Face GPT-2 style (`GPT2LMHeadModel.state_dict()` names; Conv1D weights are [in, out],
 * which is also our `linear` layout, so a weight copies across without a transpose). A `prefix` namespaces a
 * second model in the same graph (e.g. 'value.' for a separate value network next to the policy).
 */
export const paramNames = {
  wte: (p = ''): string => `${p}transformer.wte.weight`,
  wpe: (p = ''): string => `${p}transformer.wpe.weight`,
  ln1: (l: number, p = ''): [string, string] => [`${p}transformer.h.${l}.ln_1.weight`, `${p}transformer.h.${l}.ln_1.bias`],
  attn: (l: number, p = ''): [string, string] => [`${p}transformer.h.${l}.attn.c_attn.weight`, `${p}transformer.h.${l}.attn.c_attn.bias`],
  attnProj: (l: number, p = ''): [string, string] => [`${p}transformer.h.${l}.attn.c_proj.weight`, `${p}transformer.h.${l}.attn.c_proj.bias`],
  ln2: (l: number, p = ''): [string, string] => [`${p}transformer.h.${l}.ln_2.weight`, `${p}transformer.h.${l}.ln_2.bias`],
  fc: (l: number, p = ''): [string, string] => [`${p}transformer.h.${l}.mlp.c_fc.weight`, `${p}transformer.h.${l}.mlp.c_fc.bias`],
  mlpProj: (l: number, p = ''): [string, string] => [`${p}transformer.h.${l}.mlp.c_proj.weight`, `${p}transformer.h.${l}.mlp.c_proj.bias`],
  lnf: (p = ''): [string, string] => [`${p}transformer.ln_f.weight`, `${p}transformer.ln_f.bias`],
  /** Per-token value head: weight [D, 1], bias [1]. */
  valueHead: (p = ''): [string, string] => [`${p}value_head.weight`, `${p}value_head.bias`],
  /** Scalar reward head: weight [D, 1], bias [1]. */
  rewardHead: (p = ''): [string, string] => [`${p}reward_head.weight`, `${p}reward_head.bias`],
};

/** Which heads a model carries besides the (tied) LM head. */
export interface HeadOptions {
  /** Per-token value head `value_head.*` (PPO's critic). */
  valueHead?: boolean;
  /** Scalar reward head `reward_head.*`, read at the last non-pad token. */
  rewardHead?: boolean;
}

/** Name and shape of every parameter of a model, in graph declaration order. */
export function paramShapes(cfg: ModelConfig, heads: HeadOptions = {}, prefix = ''): { name: string; shape: number[] }[] {
  const { vocabSize: V, context: T, width: D, layers: L } = cfg;
  const out: { name: string; shape: number[] }[] = [
    { name: paramNames.wte(prefix), shape: [V, D] },
    { name: paramNames.wpe(prefix), shape: [T, D] },
  ];
  const pair = ([w, b]: [string, string], ws: number[], bs: number[]): void => {
    out.push({ name: w, shape: ws }, { name: b, shape: bs });
  };
  for (let l = 0; l < L; l++) {
    pair(paramNames.ln1(l, prefix), [D], [D]);
    pair(paramNames.attn(l, prefix), [D, 3 * D], [3 * D]);
    pair(paramNames.attnProj(l, prefix), [D, D], [D]);
    pair(paramNames.ln2(l, prefix), [D], [D]);
    pair(paramNames.fc(l, prefix), [D, 4 * D], [4 * D]);
    pair(paramNames.mlpProj(l, prefix), [4 * D, D], [D]);
  }
  pair(paramNames.lnf(prefix), [D], [D]);
  if (heads.valueHead) pair(paramNames.valueHead(prefix), [D, 1], [1]);
  if (heads.rewardHead) pair(paramNames.rewardHead(prefix), [D, 1], [1]);
  return out;
}

/** Whether a weight set carries the value / reward head (by name). */
export function headsOf(weights: Readonly<Record<string, unknown>>, prefix = ''): Required<HeadOptions> {
  return { valueHead: paramNames.valueHead(prefix)[0] in weights, rewardHead: paramNames.rewardHead(prefix)[0] in weights };
}
