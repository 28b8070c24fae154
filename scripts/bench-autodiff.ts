/**
 * Times forward+backward of a GPT-style block against forward only, on onnxruntime-node, and prints one JSON
 * line. Also measures the machine's large-MatMul FLOP/s (the peak the flop_utilization refers to) and
 * AdamW in JavaScript vs as an onnxruntime graph.
 *
 *   npx tsx scripts/bench-autodiff.ts [--vocab 512] [--ctx 64] [--dim 128] [--layers 2] [--heads 4] [--batch 16]
 *                                     [--threads 2] [--iters 30] [--opset 17] [--spinning 1]
 *
 * A benchmark, not a test: numbers vary with whatever else runs on the machine.
 */
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Graph } from '../engine/autodiff/graph';
import { buildTinyGpt, initTinyGpt, type TinyGptConfig } from '../engine/autodiff/tiny-gpt';
import { createSession, toOrt } from '../engine/onnx/session';
import { AdamW } from '../engine/optim/adamw';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** Median and minimum wall time of `iters` runs, after warm-up. */
async function timeRuns(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, iters: number): Promise<{ median: number; min: number }> {
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0] };
}

/**
 * Forward and train sessions timed in alternating rounds, so that a burst of load from other processes hits
 * both alike; the reported figure per session is the median of round medians.
 */
async function timePair(a: ort.InferenceSession, b: ort.InferenceSession, feeds: Record<string, ort.Tensor>, iters: number): Promise<[number, number]> {
  const ra: number[] = [];
  const rb: number[] = [];
  const rounds = 5;
  for (let r = 0; r < rounds; r++) {
    ra.push((await timeRuns(a, feeds, Math.ceil(iters / rounds))).median);
    rb.push((await timeRuns(b, feeds, Math.ceil(iters / rounds))).median);
  }
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [med(ra), med(rb)];
}

function nodeStats(bytes: Uint8Array): { nodes: number; transposes: number } {
  const nodes = onnx.ModelProto.decode(bytes).graph?.node ?? [];
  return { nodes: nodes.length, transposes: nodes.filter((n) => n.opType === 'Transpose').length };
}

async function peakMatmulFlops(threads: number): Promise<number> {
  const n = 1024;
  const g = new Graph();
  const a = g.input('a', [n, n]);
  const b = g.input('b', [n, n]);
  const s = await createSession(g.build({ outputs: { c: g.matmul(a, b) } }), { threads });
  const feeds = { a: toOrt(new Float32Array(n * n).fill(0.5), [n, n]), b: toOrt(new Float32Array(n * n).fill(0.25), [n, n]) };
  let best = Infinity;
  for (let r = 0; r < 3; r++) best = Math.min(best, (await timeRuns(s, feeds, 5)).min);
  return (2 * n ** 3) / (best / 1000);
}

/** AdamW over `size` params: the JS optimizer vs the same update as an onnxruntime graph (with copy-back). */
async function adamwCompare(size: number, threads: number): Promise<{ js_ms: number; onnx_ms: number }> {
  const p = new Float32Array(size).fill(0.1);
  const grad = new Float32Array(size).fill(0.01);
  const opt = new AdamW([{ name: 'p', shape: [size] }], { decay: () => true });
  for (let i = 0; i < 3; i++) opt.step({ p }, { p: grad });
  const reps = 10;
  let t0 = performance.now();
  for (let i = 0; i < reps; i++) opt.step({ p }, { p: grad });
  const js = (performance.now() - t0) / reps;

  const g = new Graph();
  const [pi, gi, mi, vi] = ['p', 'g', 'm', 'v'].map((n) => g.input(n, [size]));
  const lrC = g.input('lr_c1', []);
  const keep = g.input('keep', []);
  const c2 = g.input('inv_c2', []);
  const m = g.add(g.mul(mi, 0.9), g.mul(gi, 0.1));
  const v = g.add(g.mul(vi, 0.999), g.mul(g.square(gi), 0.001));
  const upd = g.div(g.mul(m, lrC), g.add(g.sqrt(g.mul(v, c2)), 1e-8));
  const s = await createSession(g.build({ outputs: { p_out: g.sub(g.mul(pi, keep), upd), m_out: m, v_out: v } }), { threads });
  const mm = new Float32Array(size);
  const vv = new Float32Array(size);
  const feeds = (): Record<string, ort.Tensor> => ({
    p: toOrt(p, [size]),
    g: toOrt(grad, [size]),
    m: toOrt(mm, [size]),
    v: toOrt(vv, [size]),
    lr_c1: toOrt(Float32Array.of(1e-3), []),
    keep: toOrt(Float32Array.of(0.99999), []),
    inv_c2: toOrt(Float32Array.of(1), []),
  });
  for (let i = 0; i < 3; i++) await s.run(feeds());
  t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const o = await s.run(feeds());
    p.set(o.p_out.data as Float32Array);
    mm.set(o.m_out.data as Float32Array);
    vv.set(o.v_out.data as Float32Array);
  }
  return { js_ms: js, onnx_ms: (performance.now() - t0) / reps };
}

async function main(): Promise<void> {
  const cfg: TinyGptConfig = { vocab: arg('vocab', 512), ctx: arg('ctx', 64), dim: arg('dim', 128), layers: arg('layers', 2), heads: arg('heads', 4) };
  const B = arg('batch', 16);
  const threads = arg('threads', 2);
  const iters = arg('iters', 30);
  const opset = arg('opset', 17);
  const spinning = arg('spinning', 1) !== 0;

  let t0 = performance.now();
  const tg = new Graph({ opset });
  const train = buildTinyGpt(tg, cfg, B);
  const grads = tg.gradients(train.loss);
  const trainBytes = tg.build({ outputs: { loss: train.loss, ...Object.fromEntries(Object.entries(grads).map(([k, v]) => [`grad.${k}`, v])) } });
  const buildMs = performance.now() - t0;
  const fg = new Graph({ opset });
  const fwd = buildTinyGpt(fg, cfg, B);
  const fwdBytes = fg.build({ outputs: { loss: fwd.loss } });

  t0 = performance.now();
  const trainS = await createSession(trainBytes, { threads, spinning });
  const sessionMs = performance.now() - t0;
  const fwdS = await createSession(fwdBytes, { threads, spinning });

  const init = initTinyGpt(tg, 1);
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of tg.params) feeds[p.name] = toOrt(Float32Array.from(init[p.name]), p.shape);
  const N = B * cfg.ctx;
  feeds.ids = toOrt(BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 7919) % cfg.vocab)), [B, cfg.ctx]);
  feeds.targets = toOrt(BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 104729 + 3) % cfg.vocab)), [B, cfg.ctx]);
  feeds.loss_mask = toOrt(new Float32Array(N).fill(1), [B, cfg.ctx]);

  const [fwdMs, trainMs] = await timePair(fwdS, trainS, feeds, iters);

  const { vocab: V, ctx: T, dim: D, layers: L } = cfg;
  const paramCount = tg.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  // matmul FLOPs per token, forward: the linear layers, the tied head, and q·kᵀ and att·v over the full T×T
  const fwdFlopsPerToken = 2 * (L * 12 * D * D + V * D) + L * 4 * T * D;
  const trainFlops = 3 * fwdFlopsPerToken * N;
  const peak = await peakMatmulFlops(threads);

  const adam = { '0.5M': await adamwCompare(500_000, threads), '2M': await adamwCompare(2_000_000, threads) };
  const trainStats = nodeStats(trainBytes);
  const fwdStats = nodeStats(fwdBytes);
  console.log(
    JSON.stringify({
      config: { ...cfg, batch: B, threads, opset, spinning, params: paramCount },
      build_ms: Math.round(buildMs),
      session_create_ms: Math.round(sessionMs),
      forward_ms: +fwdMs.toFixed(2),
      forward_backward_ms: +trainMs.toFixed(2),
      backward_forward_ratio: +((trainMs - fwdMs) / fwdMs).toFixed(2),
      train_over_forward: +(trainMs / fwdMs).toFixed(2),
      train_tok_s: Math.round(N / (trainMs / 1000)),
      train_flops_per_s: Math.round(trainFlops / (trainMs / 1000)),
      peak_matmul_flops_per_s: Math.round(peak),
      flop_utilization: +(trainFlops / (trainMs / 1000) / peak).toFixed(3),
      train_nodes: trainStats.nodes,
      train_transposes: trainStats.transposes,
      forward_nodes: fwdStats.nodes,
      forward_transposes: fwdStats.transposes,
      adamw_ms: adam,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
