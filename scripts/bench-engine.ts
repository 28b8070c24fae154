/**
 * The engine benchmark (`npm run bench:engine`): on one architecture and batch, side by side in one process,
 *
 * - training: hone's train step (one onnxruntime run for loss + every gradient, AdamW + clipping in JS) vs the same
 *   GPT in @tensorflow/tfjs on its fastest backend here (wasm and the pure-JS cpu backend are both timed);
 * - sampling: hone's KV-cache sampler (in-process on 1 and 2 threads, and the 2-worker SamplerPool; the fastest is
 *   reported, all three are listed) vs @huggingface/transformers `model.generate` on the folder that engine/export
 *   wrote for the same weights: same batch, same prompt and new-token count, temperature-1 sampling;
 * - FLOP utilisation: analytic training FLOPs per second over this machine's large-MatMul FLOP/s through
 *   onnxruntime, measured in the same run.
 *
 * Training FLOPs per token (counted, not measured): 6·N + 12·L·T·D, where N = L·12·D² + V·D is the number of
 * multiply-accumulate weights per token (attention q/k/v/proj 4D², MLP 8D², the tied LM head V·D; embeddings
 * lookups, biases and LayerNorms are not counted) and 12·L·T·D is attention's QKᵀ and AV (2·2·T·D forward per
 * layer, ×3 for forward + backward) over the full T×T score matrix that the graph computes.
 *
 * Progress goes to stderr, one JSON line to stdout.
 *
 *   npx tsx scripts/bench-engine.ts [--vocab 512] [--ctx 64] [--dim 128] [--layers 2] [--heads 4] [--batch 16]
 *     [--steps 40] [--new-tokens 48] [--spinning 1] [--threads 2] [--tfjs-steps 3] [--skip-tfjs-cpu 0]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { Graph } from '../engine/autodiff/graph';
import { exportHfFolder } from '../engine/export/export-hf';
import { type ModelConfig } from '../engine/models/config';
import { gptForward } from '../engine/models/gpt';
import { initGptWeights } from '../engine/models/init';
import { SessionCache } from '../engine/models/session-cache';
import { createSession, toOrt } from '../engine/onnx/session';
import { AdamW } from '../engine/optim/adamw';
import { Sampler } from '../engine/sampling/sampler';
import { SamplerPool } from '../engine/sampling/sampler-pool';
import { createBuiltinTask, trainTaskTokenizer } from '../engine/task';
import { Program, optimizerStep } from '../engine/train/train-step';
import { timeTfjsTraining } from './bench-engine-tfjs';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const log = (msg: string): void => void process.stderr.write(`[bench:engine] ${msg}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Training FLOPs per token (see the file comment). */
function trainFlopsPerToken(cfg: ModelConfig): number {
  const { vocabSize: V, context: T, width: D, layers: L } = cfg;
  return 6 * (L * 12 * D * D + V * D) + 12 * L * T * D;
}

async function peakMatmulFlops(threads: number, spinning: boolean): Promise<number> {
  const n = 1024;
  const g = new Graph();
  const c = g.matmul(g.input('a', [n, n]), g.input('b', [n, n]));
  const s = await createSession(g.build({ outputs: { c } }), { threads, spinning });
  const feeds = { a: toOrt(new Float32Array(n * n).fill(0.5), [n, n]), b: toOrt(new Float32Array(n * n).fill(0.25), [n, n]) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  let best = Infinity;
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return (2 * n ** 3) / (best / 1000);
}

/** hone's full training step: one run for loss + gradients, then clipped AdamW in JS. Median ms per step. */
async function timeHoneTraining(cfg: ModelConfig, batch: number, steps: number, threads: number, spinning: boolean): Promise<{ msPerStep: number; loss: number }> {
  const T = cfg.context;
  const cache = new SessionCache({ threads, spinning });
  const program = await Program.compile(
    (g) => {
      const m = gptForward(g, cfg, { batch, seq: T });
      return { loss: g.crossEntropy(m.logits, g.input('targets', [batch, T], 'int64'), g.input('loss_mask', [batch, T])) };
    },
    cache,
    'bench-train',
  );
  const weights = initGptWeights(cfg, 1);
  const opt = new AdamW(program.params, { weightDecay: 0.1 });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: toOrt(BigInt64Array.from({ length: batch * T }, (_, i) => BigInt((i * 7) % cfg.vocabSize)), [batch, T]),
    targets: toOrt(BigInt64Array.from({ length: batch * T }, (_, i) => BigInt((i * 7 + 3) % cfg.vocabSize)), [batch, T]),
    loss_mask: toOrt(new Float32Array(batch * T).fill(1), [batch, T]),
  };
  const times: number[] = [];
  let loss = NaN;
  for (let s = 0; s < steps + 3; s++) {
    const t0 = performance.now();
    const r = await program.run(weights, feeds);
    optimizerStep(opt, weights, r.grads, { lr: 1e-3, clip: 1 });
    if (s >= 3) times.push(performance.now() - t0);
    loss = r.loss;
  }
  await cache.clear();
  return { msPerStep: median(times), loss };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cfg: ModelConfig = { vocabSize: arg('vocab', 512), context: arg('ctx', 64), width: arg('dim', 128), layers: arg('layers', 2), heads: arg('heads', 4) };
  const batch = arg('batch', 16);
  const threads = arg('threads', 2);
  const spinning = arg('spinning', 1) === 1;
  const newTokens = arg('new-tokens', 48);
  const flopsPerToken = trainFlopsPerToken(cfg);
  const { loadavg } = await import('node:os');
  const loadBefore = loadavg()[0];

  log(`model ${JSON.stringify(cfg)}, batch ${batch}, ${threads} threads, spinning ${spinning}, load ${loadBefore.toFixed(2)}`);
  const peak = await peakMatmulFlops(threads, spinning);
  log(`peak 1024³ MatMul: ${(peak / 1e9).toFixed(1)} GFLOP/s`);

  const ours = await timeHoneTraining(cfg, batch, arg('steps', 40), threads, spinning);
  const trainTokS = (batch * cfg.context) / (ours.msPerStep / 1000);
  log(`hone train step: ${ours.msPerStep.toFixed(1)} ms (${trainTokS.toFixed(0)} tok/s)`);

  const tfjs: Record<string, { msPerStep: number; tokS: number }> = {};
  for (const backend of arg('skip-tfjs-cpu', 0) === 1 ? ['wasm'] : ['wasm', 'cpu']) {
    log(`tfjs ${backend}: timing (slow)…`);
    const r = await timeTfjsTraining(backend, cfg, batch, backend === 'cpu' ? 1 : arg('tfjs-steps', 3), 1);
    tfjs[backend] = { msPerStep: r.msPerStep, tokS: (batch * cfg.context) / (r.msPerStep / 1000) };
    log(`tfjs ${backend}: ${r.msPerStep.toFixed(0)} ms/step (${tfjs[backend].tokS.toFixed(0)} tok/s)`);
  }
  const [tfjsBackend, tfjsBest] = Object.entries(tfjs).sort((a, b) => b[1].tokS - a[1].tokS)[0];

  // sampling: the same weights and tokenizer in both; 16 copies of one task prompt so no padding differs
  const task = createBuiltinTask();
  const tokenizer = trainTaskTokenizer(task, { vocabSize: cfg.vocabSize });
  const bundle = { config: cfg, tokenizer: tokenizer.toJSON(), weights: initGptWeights(cfg, 2) };
  const prompt = task.format.renderPrompt(task.trainPrompts[0]);
  const promptLen = tokenizer.encode(prompt).length;
  const maxNew = Math.min(newTokens, cfg.context - promptLen);
  const prompts = Array.from({ length: batch }, () => prompt);
  // three ways to run hone's sampler, timed in interleaved rounds so that load from other processes hits all alike
  const variants: [string, { generate: Sampler['generate']; release(): Promise<void> }][] = [
    ['in-process, 1 thread', await Sampler.create(bundle, { session: { threads: 1, spinning }, batchSize: batch })],
    [`in-process, ${threads} threads`, await Sampler.create(bundle, { session: { threads, spinning }, batchSize: batch })],
    ['SamplerPool, 2 workers', await SamplerPool.create(bundle, { workers: 2, session: { threads: 1, spinning }, batchSize: batch })],
  ];
  const sampleRuns = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < 7; r++) {
    for (const [name, s] of variants) {
      const s0 = performance.now();
      const gens = await s.generate(prompts, { maxNewTokens: maxNew, seed: r, stopAtEos: false });
      const ms = performance.now() - s0;
      if (gens.some((g) => g.tokens.length !== maxNew)) throw new Error('bench: a sequence stopped early');
      if (r >= 1) sampleRuns.get(name)?.push(ms);
    }
  }
  for (const [, s] of variants) await s.release();
  const sampleVariants = Object.fromEntries([...sampleRuns].map(([name, ms]) => [name, Math.round((batch * maxNew) / (median(ms) / 1000))]));
  const [sampleVariant, sampleTokS] = Object.entries(sampleVariants).sort((a, b) => b[1] - a[1])[0];
  log(`hone sampler: ${JSON.stringify(sampleVariants)} new tok/s (batch ${batch}, prompt ${promptLen} tokens, ${maxNew} new)`);

  const dir = await mkdtemp(join(tmpdir(), 'hone-bench-'));
  let hfTokS = NaN;
  try {
    await exportHfFolder(bundle, join(dir, 'model'));
    const hf = await import('@huggingface/transformers');
    hf.env.allowRemoteModels = false;
    hf.env.allowLocalModels = true;
    hf.env.localModelPath = `${dir}/`;
    const hfTok = await hf.AutoTokenizer.from_pretrained('model');
    const model = await hf.AutoModelForCausalLM.from_pretrained('model', { dtype: 'fp32', device: 'cpu' });
    const enc = hfTok(prompts, { padding: true });
    const hfRuns: number[] = [];
    for (let r = 0; r < 3; r++) {
      const s0 = performance.now();
      const out = (await model.generate({ ...enc, max_new_tokens: maxNew, min_new_tokens: maxNew, do_sample: true, top_k: 0, temperature: 1 })) as { dims: number[] };
      const ms = performance.now() - s0;
      if (out.dims[1] !== promptLen + maxNew) throw new Error(`bench: transformers.js returned ${out.dims[1]} tokens per row`);
      if (r >= 1) hfRuns.push(ms);
    }
    await model.dispose();
    hfTokS = (batch * maxNew) / (median(hfRuns) / 1000);
    log(`transformers.js generate: ${hfTokS.toFixed(0)} new tok/s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const trainFlops = trainTokS * flopsPerToken;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  const out = {
    train_tok_s: Math.round(trainTokS),
    tfjs_train_tok_s: Math.round(tfjsBest.tokS),
    train_speedup_vs_tfjs: r3(trainTokS / tfjsBest.tokS),
    sample_tok_s: Math.round(sampleTokS),
    transformersjs_sample_tok_s: Math.round(hfTokS),
    sample_speedup_vs_transformersjs: r3(sampleTokS / hfTokS),
    train_flops_per_s: Math.round(trainFlops),
    peak_matmul_flops_per_s: Math.round(peak),
    flop_utilization: r3(trainFlops / peak),
    tfjs_backend: tfjsBackend,
    tfjs_backends_tok_s: Object.fromEntries(Object.entries(tfjs).map(([k, v]) => [k, Math.round(v.tokS)])),
    train_ms_per_step: r3(ours.msPerStep),
    train_flops_per_token: flopsPerToken,
    model: cfg,
    batch,
    train_seq: cfg.context,
    sample: { prompt_tokens: promptLen, new_tokens: maxNew, hone_variant: sampleVariant, hone_variants_tok_s: sampleVariants, transformersjs_api: 'AutoModelForCausalLM.generate (do_sample, top_k 0)' },
    threads,
    spinning,
    load_avg_1m: [r3(loadBefore), r3(loadavg()[0])],
    wall_s: Math.round((performance.now() - t0) / 100) / 10,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
