/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import type { Dim } from '../onnx/shape';
import { createSession, toOrt } from '../onnx/session';
import type { Tensor } from '../onnx/tensor';
import { seededUniform } from './grad-check';
import { Graph } from './graph';

const D = 8;
const H = 2;
const HD = D / H;
const weights = {
  wq: Float32Array.from(seededUniform(1, D * D, -0.5, 0.5)),
  wk: Float32Array.from(seededUniform(2, D * D, -0.5, 0.5)),
  wv: Float32Array.from(seededUniform(3, D * D, -0.5, 0.5)),
  bq: Float32Array.from(seededUniform(4, D, -0.1, 0.1)),
};

/** One attention layer's q/k/v projections and head split, written once for both graphs. */
function qkv(g: Graph, x: Tensor, lead: readonly Dim[]): { q: Tensor; k: Tensor; v: Tensor } {
  const heads = (t: Tensor): Tensor => g.transpose(g.reshape(t, [...lead, H, HD]), [0, 2, 1, 3]);
  return {
    q: heads(g.linear(x, g.param('wq', [D, D]), g.param('bq', [D]))),
    k: heads(g.linear(x, g.param('wk', [D, D]))),
    v: heads(g.linear(x, g.param('wv', [D, D]))),
  };
}

describe('inference graphs with symbolic dims', () => {
  it('a KV-cache decode step with batch and past length bound at run time matches full causal attention', async () => {
    const T = 5;
    // full sequence, static shapes
    const full = new Graph();
    const xf = full.input('x', [1, T, D]);
    const f = qkv(full, xf, [1, T]);
    const att = full.softmax(full.add(full.mul(full.matmul(f.q, full.swapLast(f.k)), 1 / Math.sqrt(HD)), full.causalMask(T)));
    const yFull = full.reshape(full.transpose(full.matmul(att, f.v), [0, 2, 1, 3]), [1, T, D]);
    const fullS = await createSession(full.build({ outputs: { y: yFull, k: f.k, v: f.v }, initializers: weights }), { threads: 1 });

    // one decode step: x [batch, 1, D], past [batch, H, past, HD] → present [batch, H, past+1, HD]
    const dec = new Graph();
    const x = dec.input('x', ['batch', 1, D]);
    const pastK = dec.input('past_k', ['batch', H, 'past', HD]);
    const pastV = dec.input('past_v', ['batch', H, 'past', HD]);
    const s = qkv(dec, x, ['batch', 1]);
    const presentK = dec.concat([pastK, s.k], 2);
    const presentV = dec.concat([pastV, s.v], 2);
    expect(presentK.shape).toEqual(['batch', H, 'past+1', HD]);
    const a = dec.softmax(dec.mul(dec.matmul(s.q, dec.swapLast(presentK)), 1 / Math.sqrt(HD)));
    const y = dec.reshape(dec.transpose(dec.matmul(a, presentV), [0, 2, 1, 3]), ['batch', 1, D]);
    expect(y.shape).toEqual(['batch', 1, D]);
    const decS = await createSession(dec.build({ outputs: { y, present_k: presentK, present_v: presentV }, initializers: weights }), { threads: 1 });
    expect([...decS.inputNames].sort()).toEqual(['past_k', 'past_v', 'x']);

    for (const [batch, seed] of [
      [1, 10],
      [3, 20],
    ]) {
      // per batch row: run the full graph, then the decode step on the last token with the prefix's K/V
      const xs = Array.from({ length: batch }, (_, b) => Float32Array.from(seededUniform(seed + b, T * D)));
      const refs = await Promise.all(xs.map((xb) => fullS.run({ x: toOrt(xb, [1, T, D]) })));
      const P = T - 1;
      const lastX = new Float32Array(batch * D);
      const pk = new Float32Array(batch * H * P * HD);
      const pv = new Float32Array(batch * H * P * HD);
      refs.forEach((r, b) => {
        lastX.set(xs[b].subarray(P * D), b * D);
        const k = r.k.data as Float32Array;
        const v = r.v.data as Float32Array;
        for (let h = 0; h < H; h++) {
          pk.set(k.subarray(h * T * HD, h * T * HD + P * HD), (b * H + h) * P * HD);
          pv.set(v.subarray(h * T * HD, h * T * HD + P * HD), (b * H + h) * P * HD);
        }
      });
      const out = await decS.run({ x: toOrt(lastX, [batch, 1, D]), past_k: toOrt(pk, [batch, H, P, HD]), past_v: toOrt(pv, [batch, H, P, HD]) });
      expect(out.present_k.dims).toEqual([batch, H, T, HD]);
      refs.forEach((r, b) => {
        const want = (r.y.data as Float32Array).subarray(P * D);
        const got = (out.y.data as Float32Array).subarray(b * D, (b + 1) * D);
        want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
      });
    }
  });
});
