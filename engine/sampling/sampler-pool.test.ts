import type { ModelConfig } from '../models/config';
import { initGptWeights } from '../models/init';
import { trainBpe } from '../tokenizer/train-bpe';
import { Sampler } from './sampler';
import { SamplerPool } from './sampler-pool';

const tokenizer = trainBpe(['the cat sat on the mat.', 'a dog ran in the park today.', 'the blue bird sings softly.'], { vocabSize: 300 });
const cfg: ModelConfig = { vocabSize: tokenizer.vocabSize, context: 24, width: 32, layers: 2, heads: 4 };
const prompts = ['the cat', 'a dog ran in', 'the', 'the blue bird', 'a', 'sat on the'];

describe('SamplerPool', () => {
  it.each([
    ['split over two worker threads', { workers: 2 }],
    ['split over one worker and the calling thread', { workers: 1, callingThread: true }],
  ])('gives exactly what one in-process sampler gives, %s', async (_name, poolOptions) => {
    const weights = initGptWeights(cfg, 1);
    for (const v of Object.values(weights)) for (let i = 0; i < v.length; i++) v[i] += 0.2 * Math.sin(i * 0.31);
    const one = await Sampler.create({ config: cfg, tokenizer, weights });
    const pool = await SamplerPool.create({ config: cfg, tokenizer, weights }, poolOptions);
    try {
      const opts = { maxNewTokens: 8, seed: 5, temperature: 0.9, topP: 0.95, stopAtEos: false };
      const a = await one.generate(prompts, opts);
      const b = await pool.generate(prompts, opts);
      // same tokens, text and finish; log-probs equal up to float rounding (a different batch size changes the
      // GEMM blocking in the last bits)
      const strip = (gs: typeof a): unknown => gs.map((g) => [[...g.promptTokens], [...g.tokens], g.text, g.finishReason]);
      expect(strip(b)).toEqual(strip(a));
      b.forEach((g, i) => g.logProbs.forEach((lp, k) => expect(lp).toBeCloseTo(a[i].logProbs[k], 5)));
      const weights2 = initGptWeights(cfg, 2);
      await one.setWeights(weights2);
      await pool.setWeights(weights2);
      const g1 = await one.generate(prompts, { maxNewTokens: 6, greedy: true, stopAtEos: false });
      const g2 = await pool.generate(prompts, { maxNewTokens: 6, greedy: true, stopAtEos: false });
      expect(g2.map((g) => [...g.tokens])).toEqual(g1.map((g) => g.tokens));
      await expect(pool.generate(['the'], { maxNewTokens: 2 })).rejects.toThrow('sampling needs an explicit seed');
    } finally {
      await one.release();
      await pool.release();
    }
  });
});
