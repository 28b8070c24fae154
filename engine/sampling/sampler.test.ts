import { Graph } from '../autodiff/graph';
import type { ModelConfig } from '../models/config';
import { paramFeeds } from '../models/feeds';
import { gptForward } from '../models/gpt';
import { type Weights, initGptWeights } from '../models/init';
import { createSession, toOrt } from '../onnx/session';
import { Tokenizer } from '../tokenizer/tokenizer';
import { trainBpe } from '../tokenizer/train-bpe';
import { type GenerateOptions, type Generation, Sampler, type SamplerOptions } from './sampler';

const texts = ['the cat sat on the mat.', 'a dog ran in the park today.', 'the blue bird sings softly.', 'rain falls on the green trees.'];
const tokenizer = trainBpe(texts, { vocabSize: 300 });
const cfg: ModelConfig = { vocabSize: tokenizer.vocabSize, context: 24, width: 32, layers: 2, heads: 4 };

/** GPT-2 init plus a seeded wobble, so the next-token distribution is far from uniform. */
function weights(seed: number): Weights {
  const w = initGptWeights(cfg, seed);
  for (const [name, v] of Object.entries(w)) {
    const amp = name.includes('wte') ? 0.5 : 0.15;
    for (let i = 0; i < v.length; i++) v[i] += amp * Math.sin(i * 0.37 + name.length + seed);
  }
  return w;
}

const prompts = ['the cat', 'a dog ran in', 'rain', 'the blue bird sings'];

/** Logits of every position of one sequence from the training-graph model (no cache). */
async function fullLogits(w: Weights, ids: readonly number[]): Promise<Float32Array> {
  const g = new Graph();
  const m = gptForward(g, cfg, { batch: 1, seq: ids.length });
  const s = await createSession(g.build({ outputs: { logits: m.logits } }), { threads: 1 });
  const out = await s.run({ ...paramFeeds(g.params, w), input_ids: toOrt(BigInt64Array.from(ids, BigInt), [1, ids.length]) });
  return out.logits.data as Float32Array;
}

function logSoftmaxAt(row: Float32Array, t: number): number {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  return row[t] - m - Math.log(s);
}

const strip = (gs: Generation[]): unknown => gs.map((g) => [g.tokens, g.finishReason]);

// the decode loop (default, and with runs of 3 tokens so that rows finish and leave the batch between runs) and
// the one-run-per-token reference decoder must each meet the whole contract
describe.each<[string, SamplerOptions]>([
  ['decode loop', {}],
  ['decode loop, 3 tokens per run', { decodeChunk: 3 }],
  ['step decoder', { decode: 'step' }],
])('Sampler (%s)', (_name, decoder) => {
  const w = weights(1);
  let sampler: Sampler;
  beforeAll(async () => {
    sampler = await Sampler.create({ config: cfg, tokenizer, weights: w }, { ...decoder, session: { threads: 2 } });
  });
  afterAll(() => sampler.release());

  it('decodes with the KV cache exactly what the full forward pass gives, for a left-padded batch', async () => {
    for (const greedy of [true, false]) {
      const gen = await sampler.generate(prompts, { maxNewTokens: 8, greedy, seed: 3, stopAtEos: false });
      for (const [i, g] of gen.entries()) {
        expect(g.tokens).toHaveLength(8);
        const seq = [...tokenizer.encode(prompts[i]), ...g.tokens];
        const logits = await fullLogits(w, seq.slice(0, -1));
        const P = g.promptTokens.length;
        g.tokens.forEach((t, k) => {
          const row = logits.subarray((P - 1 + k) * cfg.vocabSize, (P + k) * cfg.vocabSize);
          expect(g.logProbs[k]).toBeCloseTo(logSoftmaxAt(row, t), 4);
          if (greedy) expect(t).toBe(row.indexOf(Math.max(...row)));
        });
      }
    }
  });

  it('is reproducible: same seed, same output, whatever the batching; per-prompt seeds follow the prompt', async () => {
    const opts: GenerateOptions = { maxNewTokens: 10, seed: 42, temperature: 1.3, topK: 40, topP: 0.95, stopAtEos: false, stopTokens: [tokenizer.encode(' the')[0]] };
    const a = await sampler.generate(prompts, opts);
    const b = await sampler.generate(prompts, opts);
    expect(a).toEqual(b);
    const one = await Sampler.create({ config: cfg, tokenizer, weights: w }, { ...decoder, batchSize: 1, session: { threads: 1 } });
    try {
      expect(strip(await one.generate(prompts, opts))).toEqual(strip(a));
    } finally {
      await one.release();
    }
    const c = await sampler.generate(prompts, { ...opts, seed: 43 });
    expect(strip(c)).not.toEqual(strip(a));
    const seeds = [11, 12, 13, 14];
    const fwd = await sampler.generate(prompts, { ...opts, seed: undefined, seeds });
    const rev = await sampler.generate([...prompts].reverse(), { ...opts, seed: undefined, seeds: [...seeds].reverse() });
    expect(strip(rev)).toEqual(strip([...fwd].reverse()));
  });

  it('top-k 1 is greedy', async () => {
    const greedy = await sampler.generate(prompts, { maxNewTokens: 6, greedy: true, stopAtEos: false });
    const k1 = await sampler.generate(prompts, { maxNewTokens: 6, seed: 5, topK: 1, stopAtEos: false });
    expect(strip(k1)).toEqual(strip(greedy));
  });

  it('stops at stop tokens, stop sequences, EOS, maxNewTokens and the context, and says why', async () => {
    const [free] = await sampler.generate(['the cat'], { maxNewTokens: 12, greedy: true, stopAtEos: false });
    expect(free.finishReason).toBe('length');
    expect(free.tokens).toHaveLength(12);
    expect(free.text).toBe(tokenizer.decode(free.tokens, { skipSpecialTokens: true }));

    const stopTok = free.tokens[4];
    const first = free.tokens.indexOf(stopTok);
    const [st] = await sampler.generate(['the cat'], { maxNewTokens: 12, greedy: true, stopAtEos: false, stopTokens: [stopTok] });
    expect(st.finishReason).toBe('stop_token');
    expect(st.tokens).toEqual(free.tokens.slice(0, first + 1));
    expect(st.text).toBe(tokenizer.decode(free.tokens.slice(0, first), { skipSpecialTokens: true }));

    const stopText = free.text.slice(3, 6);
    const [ss] = await sampler.generate(['the cat'], { maxNewTokens: 12, greedy: true, stopAtEos: false, stopSequences: ['no such text', stopText] });
    expect(ss.finishReason).toBe('stop_sequence');
    expect(ss.text).toBe(free.text.slice(0, free.text.indexOf(stopText)));
    expect(tokenizer.decode(ss.tokens)).toContain(stopText);
    expect(tokenizer.decode(ss.tokens.slice(0, -1))).not.toContain(stopText);

    // a tokenizer whose EOS is the 4th greedy token
    const eosTok = tokenizer.idToToken(free.tokens[3]) as string;
    const eosSampler = await Sampler.create({ config: cfg, tokenizer: Tokenizer.fromJSON(tokenizer.toJSON(), { eos_token: eosTok }), weights: w }, decoder);
    try {
      const [e] = await eosSampler.generate(['the cat'], { maxNewTokens: 12, greedy: true });
      expect(e.finishReason).toBe('eos');
      expect(e.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(free.tokens[3]) + 1));
    } finally {
      await eosSampler.release();
    }

    const long = tokenizer.encode('the cat sat on the mat. the dog ran.');
    const [ctx] = await sampler.generate([long], { maxNewTokens: 50, greedy: true, stopAtEos: false });
    expect(ctx.finishReason).toBe('context');
    expect(long.length + ctx.tokens.length).toBe(cfg.context);
  });

  it('a batch where rows finish at different steps equals each prompt alone', async () => {
    const stops = { maxNewTokens: 9, stopAtEos: false, stopTokens: Array.from({ length: 40 }, (_, i) => 230 + i) };
    const many = [...prompts, ...prompts, ...prompts];
    const seeds = many.map((_, i) => 100 + i);
    const compactions = sampler.stats.compactions;
    const together = await sampler.generate(many, { ...stops, seeds });
    // rows end at different steps, so the cache is compacted mid-batch (the default loop decodes all 9 in one run)
    if (decoder.decode === 'step' || decoder.decodeChunk === 3) expect(sampler.stats.compactions).toBeGreaterThan(compactions);
    expect(new Set(together.map((g) => g.tokens.length)).size).toBeGreaterThan(1);
    expect(together.filter((g) => g.finishReason === 'stop_token').length * 4).toBeGreaterThanOrEqual(many.length);
    for (const [i, p] of many.entries()) {
      const [alone] = await sampler.generate([p], { ...stops, seeds: [seeds[i]] });
      expect(alone.tokens).toEqual(together[i].tokens);
      alone.logProbs.forEach((lp, k) => expect(lp).toBeCloseTo(together[i].logProbs[k], 4));
    }
  });

  it('uses new weights after setWeights, in both weight modes', async () => {
    const w2 = weights(2);
    const inputs = await Sampler.create({ config: cfg, tokenizer, weights: w }, { ...decoder, weightsMode: 'inputs' });
    try {
      const opts: GenerateOptions = { maxNewTokens: 8, greedy: true, stopAtEos: false };
      const before = await sampler.generate(prompts, opts);
      expect(strip(await inputs.generate(prompts, opts))).toEqual(strip(before));
      await sampler.setWeights(w2);
      await inputs.setWeights(w2);
      const after = await sampler.generate(prompts, opts);
      expect(strip(after)).not.toEqual(strip(before));
      expect(strip(await inputs.generate(prompts, opts))).toEqual(strip(after));
      await sampler.setWeights(w);
      expect(strip(await sampler.generate(prompts, opts))).toEqual(strip(before));
    } finally {
      await inputs.release();
    }
  });

  it('never samples ids beyond the tokenizer when the model vocabulary is padded', async () => {
    const padded: ModelConfig = { ...cfg, vocabSize: cfg.vocabSize + 40 };
    const pw = initGptWeights(padded, 4);
    // make the padding ids the most likely ones
    const wte = pw['transformer.wte.weight'];
    for (let i = cfg.vocabSize * cfg.width; i < wte.length; i++) wte[i] = 3;
    const s = await Sampler.create({ config: padded, tokenizer, weights: pw }, decoder);
    try {
      const gen = await s.generate(prompts, { maxNewTokens: 6, seed: 1, stopAtEos: false });
      for (const g of gen) for (const t of g.tokens) expect(t).toBeLessThan(tokenizer.vocabSize);
      const [greedy] = await s.generate(['the cat'], { maxNewTokens: 3, greedy: true, stopAtEos: false });
      // log-probs normalise over the whole (padded) row: the padding ids take most of the mass
      for (const lp of greedy.logProbs) expect(lp).toBeLessThan(Math.log(0.5));
    } finally {
      await s.release();
    }
  });

  it('names bad requests', async () => {
    await expect(sampler.generate(['the'], { maxNewTokens: 4 })).rejects.toThrow('sampling needs an explicit seed');
    await expect(sampler.generate([''], { maxNewTokens: 4, greedy: true })).rejects.toThrow('prompt 0 is empty');
    await expect(sampler.generate(['the'], { maxNewTokens: 0, greedy: true })).rejects.toThrow('maxNewTokens must be a positive integer');
    await expect(sampler.generate(['the'], { maxNewTokens: 2, seed: 1, topP: 0 })).rejects.toThrow('topP must be in (0, 1]');
    await expect(sampler.generate([[1, 999]], { maxNewTokens: 2, greedy: true })).rejects.toThrow('prompt 0 has token 999 outside the vocabulary');
    await expect(sampler.generate(['a', 'b'], { maxNewTokens: 2, seeds: [1] })).rejects.toThrow('1 seeds for 2 prompts');
  });
});

// the decode loop samples inside onnxruntime; the step decoder (one run per token, selection in JavaScript) is the
// independent reference it must agree with, token for token, for every selection rule
describe('decode loop vs step decoder', () => {
  const w = weights(3);
  let loop: Sampler;
  let loopChunked: Sampler;
  let step: Sampler;
  beforeAll(async () => {
    loop = await Sampler.create({ config: cfg, tokenizer, weights: w }, { session: { threads: 2 } });
    loopChunked = await Sampler.create({ config: cfg, tokenizer, weights: w }, { decodeChunk: 4, weightsMode: 'inputs', session: { threads: 1 } });
    step = await Sampler.create({ config: cfg, tokenizer, weights: w }, { decode: 'step', session: { threads: 1 } });
  });
  afterAll(async () => {
    for (const s of [loop, loopChunked, step]) await s.release();
  });

  const rules: [string, GenerateOptions][] = [
    ['greedy', { maxNewTokens: 14, greedy: true, stopAtEos: false }],
    ['plain sampling', { maxNewTokens: 14, seed: 21, stopAtEos: false }],
    ['temperature 0.7', { maxNewTokens: 14, seed: 22, temperature: 0.7, stopAtEos: false }],
    ['top-k 5', { maxNewTokens: 14, seed: 23, topK: 5, stopAtEos: false }],
    ['top-p 0.8', { maxNewTokens: 14, seed: 24, topP: 0.8, stopAtEos: false }],
    ['top-k 40 + top-p 0.9 + temperature 1.4 + stop tokens', { maxNewTokens: 14, seed: 25, topK: 40, topP: 0.9, temperature: 1.4, stopAtEos: false, stopTokens: [tokenizer.encode(' the')[0]] }],
  ];
  it.each(rules)('%s: the same tokens, finish reasons and log-probs', async (_name, opts) => {
    const many = [...prompts, ...prompts.slice(0, 3)];
    const ref = await step.generate(many, opts);
    for (const s of [loop, loopChunked]) {
      const got = await s.generate(many, opts);
      expect(strip(got)).toEqual(strip(ref));
      got.forEach((g, i) => g.logProbs.forEach((lp, k) => expect(lp).toBeCloseTo(ref[i].logProbs[k], 4)));
    }
    if (!opts.greedy) {
      // and the draws really are random: another seed changes some completion
      const other = await loop.generate(many, { ...opts, seed: (opts.seed as number) + 100 });
      expect(strip(other)).not.toEqual(strip(ref));
    }
  });
});
