/**
 * Where a training step's time goes, robustly to load from other processes: builds the bench's training graph
 * (the model of `npm run bench:engine`, masked cross-entropy, every gradient), runs it with onnxruntime's profiler
 * on, and prints one JSON line with, per op type, the sum over that type's nodes of each node's *fastest* kernel
 * time across the runs. A burst of load stretches some runs' kernels, but rarely every run of the same node, so
 * the per-node minimum is close to what the kernel costs on a quiet core; summed runs or medians are not (on the
 * shared 2-core machine the same step swung 40–110 ms within one minute). It also times the JS part of the step
 * (global gradient norm + AdamW) separately.
 *
 *   npx tsx scripts/profile-train-step.ts [--vocab 512] [--ctx 64] [--dim 128] [--layers 2] [--heads 4]
 *     [--batch 16] [--threads 1] [--spinning 0] [--iters 40] [--top 15]
 *
 * One thread by default: a kernel's time on one thread is what it costs; two threads add wake-up and split costs
 * that depend on the kernel's size and on the load. A diagnostic, not a test.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from '../engine/autodiff/graph';
import { type ModelConfig } from '../engine/models/config';
import { paramFeeds } from '../engine/models/feeds';
import { gptForward } from '../engine/models/gpt';
import { initGptWeights } from '../engine/models/init';
import { toOrt } from '../engine/onnx/session';
import type { Tensor } from '../engine/onnx/tensor';
import { AdamW } from '../engine/optim/adamw';
import { optimizerStep } from '../engine/train/train-step';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** One event of onnxruntime's Chrome-trace profile (only the fields read here). */
interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

async function main(): Promise<void> {
  const cfg: ModelConfig = { vocabSize: arg('vocab', 512), context: arg('ctx', 64), width: arg('dim', 128), layers: arg('layers', 2), heads: arg('heads', 4) };
  const batch = arg('batch', 16);
  const T = cfg.context;
  const threads = arg('threads', 1);
  const spinning = arg('spinning', 0) === 1;
  const iters = arg('iters', 40);
  const loadBefore = loadavg()[0];

  const g = new Graph();
  const m = gptForward(g, cfg, { batch, seq: T });
  const loss = g.crossEntropy(m.logits, g.input('targets', [batch, T], 'int64'), g.input('loss_mask', [batch, T]));
  const outputs: Record<string, Tensor> = { loss };
  for (const [name, t] of Object.entries(g.gradients(loss))) outputs[`grad:${name}`] = t;
  const prefix = join(tmpdir(), `hone-profile-${process.pid}`);
  // the options of engine/onnx/session.ts createSession, plus the profiler
  const session = await ort.InferenceSession.create(g.build({ outputs, name: 'profile-train' }), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableProfiling: true,
    profileFilePrefix: prefix,
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
  });
  const weights = initGptWeights(cfg, 1);
  const opt = new AdamW(g.params, { weightDecay: 0.1 });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: toOrt(BigInt64Array.from({ length: batch * T }, (_, i) => BigInt((i * 7) % cfg.vocabSize)), [batch, T]),
    targets: toOrt(BigInt64Array.from({ length: batch * T }, (_, i) => BigInt((i * 7 + 3) % cfg.vocabSize)), [batch, T]),
    loss_mask: toOrt(new Float32Array(batch * T).fill(1), [batch, T]),
  };
  const runMs: number[] = [];
  const optMs: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    const out = await session.run(paramFeeds(g.params, weights, { ...feeds }));
    const t1 = performance.now();
    const grads: Record<string, Float32Array> = {};
    for (const p of g.params) grads[p.name] = out[`grad:${p.name}`].data as Float32Array;
    optimizerStep(opt, weights, grads, { lr: 1e-3, clip: 1 });
    runMs.push(t1 - t0);
    optMs.push(performance.now() - t1);
  }
  // onnxruntime-node's endProfiling() returns nothing: the file is the newest one with our prefix
  session.endProfiling();
  await session.release();
  const dir = tmpdir();
  const files = (await readdir(dir)).filter((f) => f.startsWith(`hone-profile-${process.pid}`));
  if (files.length !== 1) throw new Error(`profile-train-step: expected one profile file for ${prefix}, found ${files.length}`);
  const file = join(dir, files[0]);
  const events = JSON.parse(await readFile(file, 'utf8')) as ProfileEvent[];
  await rm(file, { force: true });

  const perNode = new Map<string, { op: string; min: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const n = perNode.get(e.name) ?? { op: e.args?.op_name ?? '?', min: Infinity };
    n.min = Math.min(n.min, e.dur);
    perNode.set(e.name, n);
  }
  const byOp = new Map<string, { ms: number; kernels: number }>();
  for (const { op, min } of perNode.values()) {
    const o = byOp.get(op) ?? { ms: 0, kernels: 0 };
    o.ms += min / 1000;
    o.kernels++;
    byOp.set(op, o);
  }
  const total = [...byOp.values()].reduce((a, o) => a + o.ms, 0);
  const matmulOps = ['Gemm', 'MatMul', 'FusedMatMul', 'FusedGemm'];
  const matmulMs = matmulOps.reduce((a, op) => a + (byOp.get(op)?.ms ?? 0), 0);
  const top = [...byOp.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, arg('top', 15));
  const nodes = [...perNode.entries()].sort((a, b) => b[1].min - a[1].min).slice(0, arg('top', 15));
  process.stdout.write(
    `${JSON.stringify({
      model: cfg,
      batch,
      threads,
      spinning,
      iters,
      kernels: perNode.size,
      kernel_ms_sum_of_node_minima: r2(total),
      matmul_ms: r2(matmulMs),
      other_ms: r2(total - matmulMs),
      run_ms: { median: r2(median(runMs)), best: r2(Math.min(...runMs)) },
      optimizer_ms: { median: r2(median(optMs)), best: r2(Math.min(...optMs)) },
      by_op: Object.fromEntries(top.map(([op, o]) => [op, { ms: r2(o.ms), kernels: o.kernels }])),
      slowest_nodes: Object.fromEntries(nodes.map(([name, n]) => [name.replace(/_kernel_time$/, ''), { op: n.op, ms: r2(n.min / 1000) }])),
      load_avg_1m: [r2(loadBefore), r2(loadavg()[0])],
    })}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
