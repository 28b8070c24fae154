/**
 * @jest-environment ./engine/onnx/ort-test-environment.ts
 */
import { createSession, toOrt } from '../../onnx/session';
import { randomProjection } from '../grad-check';
import { Graph } from '../graph';
import { type GradCase, expectGradientsMatch } from '../test-util';

const ids = BigInt64Array.from([3, 1, 3, 0, 4, 3], BigInt);

describe('gather gradients match finite differences', () => {
  const cases: GradCase[] = [
    {
      name: 'embedding gather with repeated ids',
      build: (g) => randomProjection(g, g.gather(g.param('wte', [5, 3]), g.input('ids', [2, 3], 'int64'))),
      feeds: { ids },
    },
    {
      name: 'tied embedding: gather plus the same table as output head',
      build: (g) => {
        const wte = g.param('wte', [5, 3]);
        const x = g.tanh(g.gather(wte, g.input('ids', [2, 3], 'int64')));
        return randomProjection(g, g.matmul(x, g.transpose(wte, [1, 0])));
      },
      feeds: { ids },
    },
    {
      name: 'two gathers from one table',
      build: (g) => {
        const t = g.param('t', [5, 2]);
        const a = g.gather(t, g.input('i', [3], 'int64'));
        const b = g.gather(t, g.input('j', [3], 'int64'));
        return randomProjection(g, g.mul(a, b));
      },
      feeds: { i: BigInt64Array.from([0n, 2n, 2n]), j: BigInt64Array.from([2n, 4n, 0n]) },
    },
    {
      name: 'gatherElements along the last axis (reward at a chosen position)',
      build: (g) => randomProjection(g, g.gatherElements(g.param('r', [3, 4]), g.input('pos', [3, 1], 'int64'), -1)),
      feeds: { pos: BigInt64Array.from([3n, 0n, 2n]) },
    },
  ];
  it.each(cases)('$name', async ({ build, feeds }) => {
    await expectGradientsMatch(build, { feeds });
  });
});

describe('gather gradient is exact with many duplicate rows on two threads', () => {
  it('sums every update (ScatterElements, not the racy ScatterND add)', async () => {
    const V = 7;
    const N = 4096;
    const D = 64;
    const g = new Graph();
    const table = g.param('table', [V, D]);
    const idx = g.input('idx', [N], 'int64');
    const loss = g.sum(g.gather(table, idx));
    const [grad] = g.grad(loss, [table]);
    const s = await createSession(g.build({ outputs: { grad } }), { threads: 2 });
    const idxData = BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 5) % V));
    const counts = new Array<number>(V).fill(0);
    for (const i of idxData) counts[Number(i)]++;
    for (let run = 0; run < 5; run++) {
      const r = await s.run({ table: toOrt(new Float32Array(V * D), [V, D]), idx: toOrt(idxData, [N]) });
      const d = r.grad.data as Float32Array;
      for (let v = 0; v < V; v++) for (let k = 0; k < D; k++) expect(d[v * D + k]).toBe(counts[v]);
    }
  });
});
