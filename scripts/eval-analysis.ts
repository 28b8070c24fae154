/**
 * Where a PPO policy wins and loses against the SFT policy, by what decides each held-out comparison. Reads the
 * `eval-examples.json` that `npm run eval:engine -- --dump DIR` writes and prints one JSON line.
 *
 *   npx tsx scripts/eval-analysis.ts --from DIR [--task-seed 1234]
 *
 * Each comparison is put in the first category, in the oracle's order of weight, in which the two completions
 * differ: the constraint (by kind), on topic, well formed, style. `mean` reports the oracle's parts of each side.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBuiltinTask } from '../engine';

function argStr(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}
const r3 = (x: number): number => Math.round(x * 1e3) / 1e3;

function main(): void {
  const from = argStr('from', '');
  if (!from) throw new Error('--from DIR is required (a folder written by eval:engine --dump)');
  const task = createBuiltinTask({ seed: Number(argStr('task-seed', '1234')) });
  const examples = JSON.parse(readFileSync(join(from, 'eval-examples.json'), 'utf8')) as { prompt: string; policy: string; reference: string; outcome: number }[];
  const cats = new Map<string, { n: number; win: number; tie: number; loss: number }>();
  const parts = ['constraint', 'onTopic', 'wellFormed', 'style'] as const;
  const mean = { policy: { constraint: 0, onTopic: 0, wellFormed: 0, style: 0, total: 0 }, reference: { constraint: 0, onTopic: 0, wellFormed: 0, style: 0, total: 0 } };
  for (const e of examples) {
    const a = task.oracle.score(e.prompt, e.policy);
    const b = task.oracle.score(e.prompt, e.reference);
    for (const k of parts) {
      mean.policy[k] += a[k] / examples.length;
      mean.reference[k] += b[k] / examples.length;
    }
    mean.policy.total += a.total / examples.length;
    mean.reference.total += b.total / examples.length;
    const kind = task.oracle.prompt(e.prompt).constraint.kind;
    const first = parts.find((k) => Math.abs(a[k] - b[k]) > 1e-9);
    const name = first === undefined ? 'same' : first === 'constraint' ? `constraint:${kind}` : first;
    const c = cats.get(name) ?? { n: 0, win: 0, tie: 0, loss: 0 };
    cats.set(name, c);
    c.n++;
    if (e.outcome === 1) c.win++;
    else if (e.outcome === 0) c.loss++;
    else c.tie++;
  }
  const r = (o: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r3(v)]));
  process.stdout.write(`${JSON.stringify({ comparisons: examples.length, mean: { policy: r(mean.policy), reference: r(mean.reference) }, by_category: Object.fromEntries([...cats.entries()].sort()) })}\n`);
}

try {
  main();
} catch (e) {
  console.error(e);
  process.exit(1);
}
