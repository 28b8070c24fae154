import type * as ort from 'onnxruntime-node';
import { headDim } from '../models/config';
import { toOrt } from '../onnx/session';
import { decodeNames } from './decode-graph';
import { type SamplingMode, loopNames } from './decode-loop-graph';
import { type Row, type SamplerStats, type StopRules, appendToken, tokensLeft } from './decode-rows';
import type { SelectionRule } from './token-selector';

/** Sessions and settings of the loop decoder. */
export interface LoopDecoder {
  /** buildPrefillGraph with the 'logits' head. */
  prefill: ort.InferenceSession;
  /** buildDecodeLoopGraph for `mode`. */
  loop: ort.InferenceSession;
  mode: SamplingMode;
  /** Weight feeds in 'inputs' mode (empty when the weights are baked in). */
  prefillWeights: Readonly<Record<string, ort.Tensor>>;
  loopWeights: Readonly<Record<string, ort.Tensor>>;
  /** Token ids below this are sampleable. */
  sampleable: number;
  /** Most decode steps per onnxruntime run. */
  chunk: number;
  stats: SamplerStats;
}

/**
 * Decodes one batch with the decode loop (./decode-loop-graph): one prefill run, then one run per `chunk` tokens,
 * each sampling every row's tokens inside onnxruntime from uniforms drawn here from the row's own stream (one per
 * token, as the step decoder draws). After each run the tokens are appended and every stopping rule is applied in
 * JavaScript, exactly as after each step of the step decoder; a row that stopped on a stop sequence inside a run
 * has its later tokens discarded (they cannot change what came before). The graph itself ends a run early once
 * every row has sampled EOS or a stop token or used its budget. Between runs the new keys/values go into the
 * JavaScript cache and finished rows are compacted away once they are a quarter of the batch.
 *
 * Run boundaries fall at fixed token counts (multiples of `chunk`), never where other rows happen to stop, so a
 * prompt's completion does not depend on its batch.
 */
export async function decodeInLoop(d: LoopDecoder, batch: Row[], rules: StopRules, rule: SelectionRule, pad: number): Promise<void> {
  const cfg = rules.config;
  const { vocabSize: V, context, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);

  let live = batch.slice();
  let b = live.length;
  const P = Math.max(...live.map((r) => r.prompt.length));

  // prefill: left-padded prompts, each distinct prompt once (K completions of one prompt, as labeling samples, share
  // its keys/values and first logits); position ids count tokens only
  const distinct = new Map<string, number>();
  const source = live.map((r) => {
    const key = r.prompt.join(',');
    let u = distinct.get(key);
    if (u === undefined) distinct.set(key, (u = distinct.size));
    return u;
  });
  const firsts = [...new Set(source)].map((u) => source.indexOf(u));
  const u = firsts.length;
  const ids = new BigInt64Array(u * P).fill(BigInt(pad));
  const pos = new BigInt64Array(u * P);
  const mask = new Float32Array(u * P);
  firsts.forEach((j, k) => {
    const prompt = live[j].prompt;
    const off = P - prompt.length;
    prompt.forEach((t, i) => {
      ids[k * P + off + i] = BigInt(t);
      pos[k * P + off + i] = BigInt(i);
      mask[k * P + off + i] = 1;
    });
  });
  // the cache holds exactly the filled slots (no empty capacity): attention reads every cached slot each step, so
  // a cache sized for the whole completion read twice the bytes on average. Each run's cache is the previous one
  // plus that run's new slots, rebuilt between runs (finished rows dropped on the way)
  let bias = new Float32Array(b * P);
  source.forEach((k, j) => bias.set(mask.subarray(k * P, (k + 1) * P), j * P));
  for (let i = 0; i < bias.length; i++) bias[i] = bias[i] === 1 ? 0 : -1e9;
  const pre = await d.prefill.run({ ...d.prefillWeights, input_ids: toOrt(ids, [u, P]), position_ids: toOrt(pos, [u, P]), attention_mask: toOrt(mask, [u, P]) });
  d.stats.prefillRuns++;
  // [u, …] → [b, …]: row j gets its prompt's slice (nothing to copy when every prompt is distinct)
  const perRow = (t: Float32Array): Float32Array => {
    if (u === b) return t;
    const n = t.length / u;
    const out = new Float32Array(b * n);
    source.forEach((k, j) => out.set(t.subarray(k * n, (k + 1) * n), j * n));
    return out;
  };
  // per layer keys then values, [b, H, filled, hd]: the prefill's outputs are the first run's cache
  let cache: Float32Array[] = [];
  for (let l = 0; l < L; l++) cache.push(perRow(pre[decodeNames.newKey(l)].data as Float32Array), perRow(pre[decodeNames.newValue(l)].data as Float32Array));
  let logits = perRow(pre.logits.data as Float32Array);
  let filled = P;

  const stopTable = new Float32Array(V);
  if (rules.eos >= 0) stopTable[rules.eos] = 1;
  for (const t of rules.stopTokens) if (t >= 0 && t < V) stopTable[t] = 1;
  const feeds: Record<string, ort.Tensor> = { ...d.loopWeights, [loopNames.stopTable]: toOrt(stopTable, [V]) };
  if (d.mode !== 'greedy') feeds[loopNames.invTemperature] = toOrt(Float32Array.of(1 / rule.temperature), [1]);
  if (d.mode === 'sorted') {
    feeds[loopNames.topK] = toOrt(BigInt64Array.of(BigInt(rule.topK > 0 && rule.topK < d.sampleable ? rule.topK : d.sampleable)), [1]);
    feeds[loopNames.topP] = toOrt(Float64Array.of(rule.topP), []);
  }
  const onlyTokens = [loopNames.tokens, loopNames.logprobs];
  const everything = [...onlyTokens, loopNames.nextLogits];
  for (let l = 0; l < L; l++) everything.push(loopNames.stepKey(l), loopNames.stepValue(l));

  for (;;) {
    // every live row has sampled the same number of tokens: runs start at multiples of `chunk`
    const left = live.map((r) => (r.finish ? 0 : tokensLeft(r, rules)));
    const n = Math.min(d.chunk, Math.max(...left));
    const uniforms = new Float64Array(n * b).fill(0.5);
    const budget = new BigInt64Array(b);
    const positions = new BigInt64Array(b);
    for (let j = 0; j < b; j++) {
      const r = live[j];
      positions[j] = BigInt(Math.min(r.prompt.length + r.tokens.length, context - 1));
      if (r.finish) continue;
      budget[j] = BigInt(Math.min(n, left[j]));
      if (r.rng) for (let i = 0; i < n; i++) uniforms[i * b + j] = r.rng.uniform();
    }
    feeds[loopNames.steps] = toOrt(BigInt64Array.of(BigInt(n)), []);
    feeds[loopNames.logits] = toOrt(logits, [b, V]);
    feeds[loopNames.positions] = toOrt(positions, [b]);
    feeds[loopNames.budget] = toOrt(budget, [b]);
    feeds[loopNames.cacheBias] = toOrt(bias, [b, 1, 1, filled]);
    if (d.mode !== 'greedy') feeds[loopNames.uniforms] = toOrt(uniforms, [n, b]);
    for (let l = 0; l < L; l++) {
      feeds[decodeNames.cacheKey(l)] = toOrt(cache[2 * l], [b, H, filled, hd]);
      feeds[decodeNames.cacheValue(l)] = toOrt(cache[2 * l + 1], [b, H, filled, hd]);
    }
    const last = Math.max(...left) <= n;
    const out = await d.loop.run(feeds, last ? onlyTokens : everything);
    d.stats.decodeRuns++;
    const tokens = out[loopNames.tokens].data as BigInt64Array;
    const logps = out[loopNames.logprobs].data as Float32Array;
    const ran = tokens.length / b;
    let finished = 0;
    for (let j = 0; j < b; j++) {
      const r = live[j];
      for (let i = 0; i < ran && !r.finish; i++) {
        appendToken(r, Number(tokens[i * b + j]), logps[i * b + j], rules);
        d.stats.tokens++;
      }
      if (r.finish) finished++;
    }
    if (finished === b) return;
    if (last || ran < n) throw new Error(`Sampler: the decode loop stopped after ${ran} of ${n} steps with ${b - finished} rows unfinished`);

    // the next cache: each unfinished row's slots, then the run's new keys/values [b, H, ran, hd] after them
    const keep = live.flatMap((r, j) => (r.finish ? [] : [j]));
    const grown = filled + ran;
    cache = cache.map((old, i) => {
      const fresh = out[i % 2 === 0 ? loopNames.stepKey(i >> 1) : loopNames.stepValue(i >> 1)].data as Float32Array;
      const next = new Float32Array(keep.length * H * grown * hd);
      keep.forEach((j, k) => {
        for (let h = 0; h < H; h++) {
          const at = (k * H + h) * grown * hd;
          next.set(old.subarray((j * H + h) * filled * hd, (j * H + h + 1) * filled * hd), at);
          next.set(fresh.subarray((j * H + h) * ran * hd, (j * H + h + 1) * ran * hd), at + filled * hd);
        }
      });
      return next;
    });
    const nextBias = new Float32Array(keep.length * grown);
    keep.forEach((j, k) => nextBias.set(bias.subarray(j * filled, (j + 1) * filled), k * grown));
    bias = nextBias;
    filled = grown;
    logits = out[loopNames.nextLogits].data as Float32Array;
    if (keep.length < b) {
      keep.forEach((j, i) => i !== j && logits.copyWithin(i * V, j * V, (j + 1) * V));
      logits = logits.subarray(0, keep.length * V);
      live = keep.map((j) => live[j]);
      b = live.length;
      d.stats.compactions++;
    }
  }
}
