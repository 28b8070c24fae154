/**
 * Forward-only scoring with a model's weights, batched over static-shape sessions: reward-model scores, per-token
 * log-probs of completions (policy / reference) and per-token values. Sessions are cached per (kind, rows, seq):
 * weights are feeds, so one session serves the policy, the frozen reference and every update of either.
 */
import { Graph } from '../autodiff/graph';
import type { ModelConfig } from '../models/config';
import { paramFeeds } from '../models/feeds';
import { gptForward } from '../models/gpt';
import type { Weights } from '../models/init';
import { paramShapes } from '../models/param-names';
import type { SessionCache } from '../models/session-cache';
import { toOrt } from '../onnx/session';
import type { Tensor } from '../onnx/tensor';
import { type TokenizedSequence, packBatch } from './sequences';

/** Static sizes of a scoring run (sequences are processed `rows` at a time, padded to `seq`). */
export interface ScoringShape {
  rows: number;
  seq: number;
}

const cfgKey = (c: ModelConfig): string => `V${c.vocabSize}C${c.context}D${c.width}L${c.layers}H${c.heads}`;

function rewardGraph(cfg: ModelConfig, shape: ScoringShape): Uint8Array {
  const g = new Graph();
  const m = gptForward(g, cfg, { batch: shape.rows, seq: shape.seq }, { rewardHead: true });
  return g.build({ outputs: { rewards: m.rewards as Tensor } });
}

function logProbGraph(cfg: ModelConfig, shape: ScoringShape): Uint8Array {
  const g = new Graph();
  const m = gptForward(g, cfg, { batch: shape.rows, seq: shape.seq });
  const targets = g.input('targets', [shape.rows, shape.seq], 'int64');
  return g.build({ outputs: { logp: g.gatherLogProbs(m.logits, targets), entropy: g.entropy(m.logits) } });
}

function valueGraph(cfg: ModelConfig, shape: ScoringShape, prefix: string): Uint8Array {
  const g = new Graph();
  const m = gptForward(g, cfg, { batch: shape.rows, seq: shape.seq }, { valueHead: true, prefix });
  return g.build({ outputs: { values: m.values as Tensor } });
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Reward-model scores (the reward head at each sequence's last token), one per sequence. */
export async function scoreRewards(sessions: SessionCache, cfg: ModelConfig, weights: Readonly<Weights>, sequences: readonly TokenizedSequence[], shape: ScoringShape, padId: number): Promise<Float64Array> {
  const key = `score-reward:${cfgKey(cfg)}:R${shape.rows}:T${shape.seq}`;
  const session = await sessions.get(key, () => rewardGraph(cfg, shape));
  const feeds = paramFeeds(paramShapes(cfg, { rewardHead: true }), weights);
  const out = new Float64Array(sequences.length);
  let at = 0;
  for (const part of chunks(sequences, shape.rows)) {
    const p = packBatch(part, shape.rows, shape.seq, padId);
    const r = await session.run({ ...feeds, input_ids: toOrt(p.inputIds, [shape.rows, shape.seq]), attention_mask: toOrt(p.attentionMask, [shape.rows, shape.seq]) });
    const data = r.rewards.data as Float32Array;
    for (let i = 0; i < part.length; i++) out[at++] = data[i];
  }
  return out;
}

/** Per-token results for the completion part of each sequence. */
export interface CompletionTokenScores {
  /** log p(completion token i | prefix), one array per sequence (length = completion length). */
  logProbs: Float32Array[];
  /** Entropy of the next-token distribution at the same positions. */
  entropies: Float32Array[];
}

/** Log-probs (and entropies) of each sequence's completion tokens under a policy's weights. */
export async function scoreCompletionTokens(sessions: SessionCache, cfg: ModelConfig, weights: Readonly<Weights>, sequences: readonly TokenizedSequence[], shape: ScoringShape, padId: number): Promise<CompletionTokenScores> {
  const key = `score-logp:${cfgKey(cfg)}:R${shape.rows}:T${shape.seq}`;
  const session = await sessions.get(key, () => logProbGraph(cfg, shape));
  const feeds = paramFeeds(paramShapes(cfg), weights);
  const logProbs: Float32Array[] = [];
  const entropies: Float32Array[] = [];
  for (const part of chunks(sequences, shape.rows)) {
    const p = packBatch(part, shape.rows, shape.seq, padId);
    const r = await session.run({ ...feeds, input_ids: toOrt(p.inputIds, [shape.rows, shape.seq]), targets: toOrt(p.targets, [shape.rows, shape.seq]) });
    const lp = r.logp.data as Float32Array;
    const ent = r.entropy.data as Float32Array;
    part.forEach((s, i) => {
      const from = i * shape.seq + s.prompt.length - 1;
      logProbs.push(lp.slice(from, from + s.completion.length));
      entropies.push(ent.slice(from, from + s.completion.length));
    });
  }
  return { logProbs, entropies };
}

/**
 * Values V(s_t) of the states before each completion token (position prompt − 1 + i for token i), from a value
 * network whose weights carry `prefix` (e.g. 'value.').
 */
export async function scoreValues(sessions: SessionCache, cfg: ModelConfig, weights: Readonly<Weights>, sequences: readonly TokenizedSequence[], shape: ScoringShape, padId: number, prefix = 'value.'): Promise<Float32Array[]> {
  const key = `score-value:${cfgKey(cfg)}:R${shape.rows}:T${shape.seq}:${prefix}`;
  const session = await sessions.get(key, () => valueGraph(cfg, shape, prefix));
  const feeds = paramFeeds(paramShapes(cfg, { valueHead: true }, prefix), weights);
  const out: Float32Array[] = [];
  for (const part of chunks(sequences, shape.rows)) {
    const p = packBatch(part, shape.rows, shape.seq, padId);
    const r = await session.run({ ...feeds, input_ids: toOrt(p.inputIds, [shape.rows, shape.seq]) });
    const v = r.values.data as Float32Array;
    part.forEach((s, i) => {
      const from = i * shape.seq + s.prompt.length - 1;
      out.push(v.slice(from, from + s.completion.length));
    });
  }
  return out;
}
