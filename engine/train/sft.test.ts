import { deserializeTrainerState, serializeTrainerState, type TrainerState } from '../checkpoint/trainer-state';
import type { ModelConfig } from '../models/config';
import { Sampler } from '../sampling/sampler';
import { trainBpe } from '../tokenizer/train-bpe';
import type { SftExample } from './lm-batch';
import { type SftOptions, trainSft } from './sft';

// a tiny copy task: the answer repeats the prompt's colour word, which a small model learns in a few dozen steps
const colours = ['red', 'blue', 'green', 'pink', 'gold', 'grey'];
const things = ['cat', 'sky', 'sea', 'tree'];
const examples: SftExample[] = colours.flatMap((c) => things.map((t) => ({ prompt: `say ${c} ${t}:`, completion: ` the ${t} is ${c}.` })));
const tokenizer = trainBpe(examples.map((e) => e.prompt + e.completion), { vocabSize: 320 });
const cfg: ModelConfig = { vocabSize: tokenizer.vocabSize, context: 16, width: 32, layers: 2, heads: 2 };
const base: SftOptions = { steps: 24, batchSize: 8, lr: 3e-3, warmupSteps: 3, seed: 7, session: { threads: 2 } };

function sameBits(a: Record<string, Float32Array>, b: Record<string, Float32Array>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => b[n] && Buffer.from(a[n].buffer, a[n].byteOffset, a[n].byteLength).equals(Buffer.from(b[n].buffer, b[n].byteOffset, b[n].byteLength)));
}

describe('trainSft', () => {
  it('drives the completion loss down and learns the demonstrations', async () => {
    const evalLosses: number[] = [];
    const r = await trainSft(
      { config: cfg, tokenizer, examples },
      { ...base, steps: 120, lr: 1e-2, evalEvery: 40, evalExamples: examples.slice(0, 8), onProgress: (_s, m) => void (m.evalLoss !== undefined && evalLosses.push(m.evalLoss)) },
    );
    expect(r.step).toBe(120);
    expect(r.history).toHaveLength(120);
    const first = r.history.slice(0, 5).reduce((s, h) => s + h.loss, 0) / 5;
    const final = r.history.slice(-5).reduce((s, h) => s + h.loss, 0) / 5;
    expect(first).toBeGreaterThan(3);
    expect(final).toBeLessThan(first * 0.3);
    expect(evalLosses).toHaveLength(3);
    expect(evalLosses[2]).toBeLessThan(evalLosses[0]);
    // the trained bundle samples the demonstrated answer format
    const sampler = await Sampler.create(r.bundle);
    try {
      const [g] = await sampler.generate(['say blue sea:'], { maxNewTokens: 10, greedy: true });
      expect(g.finishReason).toBe('eos');
      expect(g.text).toMatch(/^ the \w+ is \w+\.$/);
    } finally {
      await sampler.release();
    }
  });

  it('is reproducible: the same seed gives the same run bit for bit', async () => {
    const a = await trainSft({ config: cfg, tokenizer, examples }, base);
    const b = await trainSft({ config: cfg, tokenizer, examples }, base);
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    expect(sameBits(a.bundle.weights, b.bundle.weights)).toBe(true);
    const c = await trainSft({ config: cfg, tokenizer, examples }, { ...base, seed: 8 });
    expect(sameBits(a.bundle.weights, c.bundle.weights)).toBe(false);
  });

  it('resumes from serialised bytes bit-identically to an uninterrupted run', async () => {
    const straight = await trainSft({ config: cfg, tokenizer, examples }, base);
    let saved: Uint8Array | undefined;
    const k = 10; // mid-epoch (24 examples, batch 8: epoch boundaries at 3, 6, 9, 12 …) and mid-warm-down
    const first = await trainSft(
      { config: cfg, tokenizer, examples },
      { ...base, stopAfter: k, checkpointEvery: 5, onCheckpoint: (s: TrainerState) => void (saved = serializeTrainerState(s)) },
    );
    expect(first.step).toBe(k);
    const bytes = saved as Uint8Array;
    expect(deserializeTrainerState(bytes).step).toBe(k);
    // a fresh trainer, from bytes alone
    const rest = await trainSft({ config: cfg, tokenizer, examples }, { ...base, resumeFrom: Uint8Array.from(bytes) });
    expect(rest.step).toBe(base.steps);
    expect(rest.history[0].step).toBe(k + 1);
    expect(rest.history.map((h) => h.loss)).toEqual(straight.history.slice(k).map((h) => h.loss));
    expect(sameBits(rest.bundle.weights, straight.bundle.weights)).toBe(true);
  });

  it('refuses a checkpoint made with other options, and names the option', async () => {
    let saved: TrainerState | undefined;
    await trainSft({ config: cfg, tokenizer, examples }, { ...base, stopAfter: 2, checkpointEvery: 2, onCheckpoint: (s) => void (saved = s) });
    await expect(trainSft({ config: cfg, tokenizer, examples }, { ...base, lr: 1e-3, resumeFrom: saved })).rejects.toThrow('option lr is 0.001 but the checkpoint was made with 0.003');
    await expect(trainSft({ config: cfg, tokenizer, examples: examples.slice(1) }, { ...base, resumeFrom: saved })).rejects.toThrow('option examples is 23');
    await expect(trainSft({ config: cfg, tokenizer, examples }, { ...base, resumeFrom: { ...(saved as TrainerState), trainer: 'ppo' } })).rejects.toThrow('written by the "ppo" trainer');
  });
});
