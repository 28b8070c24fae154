/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { createSession, toOrt } from '../onnx/session';
import { Graph } from './graph';

async function run(g: Graph, outputs: Parameters<Graph['build']>[0]['outputs'], feeds: Record<string, Float64Array>): Promise<Record<string, number[]>> {
  const s = await createSession(g.build({ outputs }), { threads: 1 });
  const ins = Object.fromEntries(g.inputs.map((t) => [t.name, toOrt(feeds[t.name], t.shape as number[], 'float64')]));
  const r = await s.run(ins);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v.data as Float64Array)]));
}

describe('Graph.grad', () => {
  it('gives zeros for a parameter the loss does not use and 1 for the loss itself', async () => {
    const g = new Graph({ dtype: 'float64' });
    const a = g.param('a', [2]);
    const unused = g.param('unused', [3]);
    const loss = g.sum(g.square(a));
    const [ga, gu, gl] = g.grad(loss, [a, unused, loss]);
    const r = await run(g, { ga, gu, gl }, { a: Float64Array.from([1, -2]), unused: new Float64Array(3) });
    expect(r).toEqual({ ga: [2, -4], gu: [0, 0, 0], gl: [1] });
  });

  it('differentiates with respect to intermediates and supports several losses on one graph', async () => {
    const g = new Graph({ dtype: 'float64' });
    const a = g.param('a', [2]);
    const h = g.mul(a, 3);
    const l1 = g.sum(g.square(h));
    const l2 = g.sum(g.exp(h));
    const [dh] = g.grad(l1, [h]);
    const [da2] = g.grad(l2, [a]);
    const [da1] = g.grad(l1, [a]);
    const r = await run(g, { dh, da1, da2 }, { a: Float64Array.from([0.5, -1]) });
    expect(r.dh).toEqual([3, -6]);
    expect(r.da1).toEqual([9, -18]);
    expect(r.da2[0]).toBeCloseTo(3 * Math.exp(1.5), 12);
    expect(r.da2[1]).toBeCloseTo(3 * Math.exp(-3), 12);
  });

  it('accumulates a tensor used by several consumers', async () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.param('x', [3]);
    const loss = g.sum(g.add(g.add(g.mul(x, x), g.exp(x)), g.mul(x, 2)));
    const [gx] = g.grad(loss, [x]);
    const r = await run(g, { gx }, { x: Float64Array.from([0, 1, -1]) });
    [0, 1, -1].forEach((v, i) => expect(r.gx[i]).toBeCloseTo(2 * v + Math.exp(v) + 2, 12));
  });

  it('refuses non-scalar losses, integer targets and tensors from another graph', () => {
    const g = new Graph();
    const x = g.param('x', [3]);
    expect(() => g.grad(x, [x])).toThrow('grad: loss x[3] must be a scalar (shape [])');
    expect(() => g.grad(g.sum(x), [g.input('i', [2], 'int64')])).toThrow('grad: cannot differentiate with respect to i[2] of type int64');
    const other = new Graph();
    expect(() => g.add(x, other.param('y', [3]))).toThrow('add: tensor y belongs to another graph');
    expect(() => g.param('p', [2, 'n'] as unknown as number[])).toThrow('param p: parameters need static shapes, got [2,n]');
  });
});
