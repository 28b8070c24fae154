import type * as ort from 'onnxruntime-node';
import { headDim } from '../models/config';
import { toOrt } from '../onnx/session';
import { decodeNames } from './decode-graph';
import { KvCache, type Row, type SamplerStats, type StopRules, appendToken, writeSlots } from './decode-rows';
import type { SelectionRule, TokenSelector } from './token-selector';

/** Sessions and feeds of the step decoder. */
export interface StepDecoder {
  /** buildPrefillGraph (sampling head). */
  prefill: ort.InferenceSession;
  /** buildDecodeStepGraph. */
  step: ort.InferenceSession;
  /** Weight feeds in 'inputs' mode (empty when the weights are baked in). */
  prefillWeights: Readonly<Record<string, ort.Tensor>>;
  stepWeights: Readonly<Record<string, ort.Tensor>>;
  selector: TokenSelector;
  stats: SamplerStats;
}

/**
 * Decodes one batch one token per onnxruntime run (the Sampler's `decode: 'step'`): prefill, then per token one run
 * of the decode-step graph, token selection in JavaScript (TokenSelector over the graph's softmax outputs), the new
 * keys/values written into the JavaScript cache. Every stopping rule is checked after every token. The decode loop
 * (./loop-decoder) does the same work with the selection inside onnxruntime and is faster; this path is kept as a
 * reference that is independent of it (tests compare the two).
 */
export async function decodeStepwise(d: StepDecoder, batch: Row[], rules: StopRules, rule: SelectionRule, pad: number): Promise<void> {
  const cfg = rules.config;
  const { vocabSize: V, context, heads: H, layers: L } = cfg;
  const hd = headDim(cfg);
  const invT = toOrt(Float32Array.of(1 / rule.temperature), [1]);

  let live = batch.slice();
  let b = live.length;
  const P = Math.max(...live.map((r) => r.prompt.length));
  // the cache holds the prompt and every generated token that is fed back (all but the last)
  const cache = new KvCache(L, H, hd, P + Math.min(rules.maxNewTokens, context) - 1, b);
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
  let out = await d.prefill.run({ ...d.prefillWeights, input_ids: toOrt(ids, [b, P]), position_ids: toOrt(pos, [b, P]), attention_mask: toOrt(mask, [b, P]), inv_temperature: invT });
  d.stats.prefillRuns++;
  const store = (seq: number, slot: number): void => {
    for (let l = 0; l < L; l++) {
      writeSlots(out[decodeNames.newKey(l)].data as Float32Array, cache.keys[l], b * H, seq, hd, cap, slot);
      writeSlots(out[decodeNames.newValue(l)].data as Float32Array, cache.values[l], b * H, seq, hd, cap, slot);
    }
  };
  store(P, 0);
  let filled = P;

  const stepIds = new BigInt64Array(b);
  const stepPos = new BigInt64Array(b);
  const feeds: Record<string, ort.Tensor> = { ...d.stepWeights, inv_temperature: invT };
  for (;;) {
    const logprobs = out.logprobs.data as Float32Array;
    const probs = out.probs.data as Float32Array;
    let finished = 0;
    for (let j = 0; j < b; j++) {
      const r = live[j];
      if (!r.finish) {
        const tok = d.selector.selectPrepared(logprobs, probs, j * V, rule, r.rng);
        appendToken(r, tok, d.selector.logProb, rules);
        d.stats.tokens++;
      }
      if (r.finish) finished++;
    }
    if (finished === b) return;

    // drop finished rows from the cache (in place) once they are a quarter of the batch
    if (finished * 4 >= b) {
      const keep = live.flatMap((r, j) => (r.finish ? [] : [j]));
      cache.compact(keep);
      live = keep.map((j) => live[j]);
      b = live.length;
      d.stats.compactions++;
    }

    // decode step: each live row feeds its newest token at its own position into cache slot `filled`
    for (let j = 0; j < b; j++) {
      const r = live[j];
      stepIds[j] = BigInt(r.finish ? pad : r.tokens[r.tokens.length - 1]);
      stepPos[j] = BigInt(Math.min(r.prompt.length + r.tokens.length - 1, context - 1));
    }
    feeds.input_ids = toOrt(stepIds.subarray(0, b), [b]);
    feeds.position_ids = toOrt(stepPos.subarray(0, b), [b]);
    feeds.cache_bias = toOrt(cache.bias.subarray(0, b * cap), [b, 1, 1, cap]);
    for (let l = 0; l < L; l++) {
      feeds[decodeNames.cacheKey(l)] = toOrt(cache.keys[l].subarray(0, b * rowSize), [b, H, cap, hd]);
      feeds[decodeNames.cacheValue(l)] = toOrt(cache.values[l].subarray(0, b * rowSize), [b, H, cap, hd]);
    }
    out = await d.step.run(feeds);
    d.stats.decodeRuns++;
    store(1, filled);
    for (let j = 0; j < b; j++) cache.bias[j * cap + filled] = 0;
    filled++;
  }
}
