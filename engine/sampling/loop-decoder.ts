import type * as ort from 'onnxruntime-node';
import { headDim } from '../models/config';
import { toOrt } from '../onnx/session';
import { decodeNames } from './decode-graph';
import { type SamplingMode, loopNames } from './decode-loop-graph';
import { KvCache, type Row, type SamplerStats, type StopRules, appendToken, tokensLeft, writeSlots } from './decode-rows';
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
  const maxSteps = Math.max(...live.map((r) => tokensLeft(r, rules)));
  // the cache holds the prompt and the tokens fed in every run but the last
  const cache = new KvCache(L, H, hd, P + Math.max(maxSteps - 1, 0), b);
  const { cap, rowSize } = cache;

  // prefill: left-padded prompts; position ids count tokens only
  const ids = new BigInt64Array(b * P).fill(BigInt(pad));
  const pos = new BigInt64Array(b * P);
  const mask = new Float32Array(b * P);
  live.forEach((r, j) => {
    const off = P - r.prompt.length;
    r.prompt.forEach((t, i) => {
      ids[j * P + off + i] = BigInt(t);
      pos[j * P + off + i] = BigInt(i);
      mask[j * P + off + i] = 1;
      cache.bias[j * cap + off + i] = 0;
    });
  });
  const pre = await d.prefill.run({ ...d.prefillWeights, input_ids: toOrt(ids, [b, P]), position_ids: toOrt(pos, [b, P]), attention_mask: toOrt(mask, [b, P]) });
  d.stats.prefillRuns++;
  for (let l = 0; l < L; l++) {
    writeSlots(pre[decodeNames.newKey(l)].data as Float32Array, cache.keys[l], b * H, P, hd, cap, 0);
    writeSlots(pre[decodeNames.newValue(l)].data as Float32Array, cache.values[l], b * H, P, hd, cap, 0);
  }
  let logits = pre.logits.data as Float32Array;
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
    feeds[loopNames.cacheBias] = toOrt(cache.bias.subarray(0, b * cap), [b, 1, 1, cap]);
    if (d.mode !== 'greedy') feeds[loopNames.uniforms] = toOrt(uniforms, [n, b]);
    for (let l = 0; l < L; l++) {
      feeds[decodeNames.cacheKey(l)] = toOrt(cache.keys[l].subarray(0, b * rowSize), [b, H, cap, hd]);
      feeds[decodeNames.cacheValue(l)] = toOrt(cache.values[l].subarray(0, b * rowSize), [b, H, cap, hd]);
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

    // the run's new keys/values [b, H, ran, hd] go into cache slots filled … filled + ran − 1
    for (let l = 0; l < L; l++) {
      writeSlots(out[loopNames.stepKey(l)].data as Float32Array, cache.keys[l], b * H, ran, hd, cap, filled);
      writeSlots(out[loopNames.stepValue(l)].data as Float32Array, cache.values[l], b * H, ran, hd, cap, filled);
    }
    for (let j = 0; j < b; j++) cache.bias.fill(0, j * cap + filled, j * cap + filled + ran);
    filled += ran;
    logits = out[loopNames.nextLogits].data as Float32Array;

    // drop finished rows (cache and logits, in place) once they are a quarter of the batch
    if (finished * 4 >= b) {
      const keep = live.flatMap((r, j) => (r.finish ? [] : [j]));
      cache.compact(keep);
      keep.forEach((j, i) => i !== j && logits.copyWithin(i * V, j * V, (j + 1) * V));
      live = keep.map((j) => live[j]);
      b = live.length;
      logits = logits.subarray(0, b * V);
      d.stats.compactions++;
    }
  }
}
