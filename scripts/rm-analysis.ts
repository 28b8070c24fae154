/**
 * Where a reward model loses accuracy against noisy labels, by what separates each held-out pair. Reads the folder
 * that `npm run eval:engine -- --dump DIR` writes (rankings.json, rm.safetensors) and prints one JSON line.
 *
 *   npx tsx scripts/rm-analysis.ts --from DIR [--seed 1] [--task-seed 1234] [--noise 0.1] [--heldout-share 0.2]
 *
 * For every held-out completion pair whose oracle totals differ, the simulated labeler flips it with probability
 * f = 1 / (1 + e^{|Δ|/T}) (T: the temperature the labeler solved for that ranking; the difference of two Gumbels is
 * logistic, so this is exact). A scorer that orders the pair like the oracle is right vs the labels with
 * probability 1 − f, one that orders it the other way with probability f. So the expected accuracy vs the labels is
 * ceiling − Σ_errors (1 − 2f) / pairs: an error on a pair the labeler rarely flips (a constraint gap of 6 points)
 * costs a whole pair, one on a near-tie almost nothing. The report splits that loss by category.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBuiltinTask, deserializeModel, type RankedCompletions } from '../engine';
import { PLATFORM_SESSION_OPTIONS, SessionCache } from '../engine/models/session-cache';
import { Tokenizer } from '../engine/tokenizer/tokenizer';
import { createTaskFormat } from '../engine/task/format';
import { scoreRewards } from '../engine/train/scoring';
import { bucketLength, sequenceLength, tokenizeExample } from '../engine/train/sequences';
import { splitByKey } from '../engine/train/split';
import { fitContext } from '../engine/train/ranking-run';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : Number(process.argv[i + 1]);
}
function argStr(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  const from = argStr('from', '');
  if (!from) throw new Error('--from DIR is required (a folder written by eval:engine --dump)');
  const seed = arg('seed', 1);
  const task = createBuiltinTask({ seed: arg('task-seed', 1234) });
  const rankings = JSON.parse(readFileSync(join(from, 'rankings.json'), 'utf8')) as RankedCompletions[];
  const rm = deserializeModel(readFileSync(join(from, 'rm.safetensors')));
  const { heldout } = splitByKey(rankings, (r) => r.prompt, arg('heldout-share', 0.2), seed);
  const labeler = task.simulatedLabeler({ noise: arg('noise', 0.1), seed: `${seed}:labeler`, markTies: true });
  const tokenizer = Tokenizer.fromJSON(rm.tokenizer);
  const format = createTaskFormat();
  const seqs = heldout.flatMap((r) => r.completions.map((c) => fitContext(tokenizeExample(tokenizer, format, r.prompt, c), rm.config.context)));
  const sessions = new SessionCache(PLATFORM_SESSION_OPTIONS);
  const scores = await scoreRewards(sessions, rm.config, rm.weights, seqs, { rows: 64, seq: bucketLength(Math.max(...seqs.map(sequenceLength)), 8, rm.config.context) }, tokenizer.padId);

  type Cat = { pairs: number; flip: number; agree: number; loss: number };
  const cats = new Map<string, Cat>();
  let pairs = 0;
  let ceiling = 0;
  let expected = 0;
  let at = 0;
  for (const r of heldout) {
    const k = r.completions.length;
    const s = scores.subarray(at, at + k);
    at += k;
    const o = r.completions.map((c) => task.oracle.score(r.prompt, c));
    const t = labeler.rank(r.prompt, r.completions, r.prompt).temperature;
    const kind = task.oracle.prompt(r.prompt).constraint.kind;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const d = o[i].total - o[j].total;
        if (Math.abs(d) <= 1e-9) continue;
        const f = t > 0 ? 1 / (1 + Math.exp(Math.abs(d) / t)) : 0;
        const a = s[i] === s[j] ? 0.5 : (s[i] > s[j]) === d > 0 ? 1 : 0;
        const name =
          o[i].constraint !== o[j].constraint
            ? `constraint:${kind}`
            : o[i].onTopic !== o[j].onTopic
              ? 'on_topic'
              : o[i].wellFormed !== o[j].wellFormed
                ? 'well_formed'
                : Math.abs(o[i].style - o[j].style) > 0.1
                  ? 'style>0.1'
                  : 'style<=0.1';
        const c = cats.get(name) ?? { pairs: 0, flip: 0, agree: 0, loss: 0 };
        cats.set(name, c);
        c.pairs++;
        c.flip += f;
        c.agree += a;
        c.loss += (1 - a) * (1 - 2 * f);
        pairs++;
        ceiling += 1 - f;
        expected += a * (1 - f) + (1 - a) * f;
      }
    }
  }
  const byCategory = Object.fromEntries(
    [...cats.entries()].sort().map(([name, c]) => [name, { share: r4(c.pairs / pairs), mean_flip: r4(c.flip / c.pairs), rm_vs_oracle: r4(c.agree / c.pairs), acc_lost: r4(c.loss / pairs) }]),
  );
  const agree = [...cats.values()].reduce((x, c) => x + c.agree, 0) / pairs;
  process.stdout.write(`${JSON.stringify({ heldout_rankings: heldout.length, oracle_pairs: pairs, expected_acc_vs_labels: r4(expected / pairs), ceiling: r4(ceiling / pairs), rm_vs_oracle: r4(agree), by_category: byCategory })}\n`);
  await sessions.clear();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
