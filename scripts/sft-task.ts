/**
 * SFT of the built-in task's policy with the engine's defaults, then sampling and scoring by the task's oracle.
 * Prints one JSON line: the loss curve, wall time, and per split (train-distribution and held-out prompts) the
 * share of samples that honour their constraint, the oracle mean, on-topic and well-formed shares, at
 * temperature 1 (what PPO starts from) and greedy.
 *
 *   npx tsx scripts/sft-task.ts [--steps N] [--batch B] [--lr X] [--warmup N] [--width D] [--layers L] [--heads H] [--samples N]
 *                               [--honour-share S] [--seed S] [--spinning 1] [--dump FILE]
 */
import { writeFileSync } from 'node:fs';
import { serializeModel } from '../engine/models/bundle';
import { TASK_MODEL_CONFIG } from '../engine/models/config';
import { Sampler } from '../engine/sampling/sampler';
import { createBuiltinTask, trainTaskTokenizer } from '../engine/task';
import type { BuiltinTask } from '../engine/task/builtin-task';
import { trainSft } from '../engine/train/sft';
import { TASK_SFT_OPTIONS, taskSftData } from '../engine/train/sft-task';
import { Rng } from '../engine/util/rng';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function score(task: BuiltinTask, sampler: Sampler, split: 'train' | 'heldout', n: number, greedy: boolean): Promise<Record<string, unknown>> {
  const prompts = task.samplePrompts(n, Rng.fromSeed(`eval:${split}`), split);
  const gens = await sampler.generate(prompts.map((p) => task.format.renderPrompt(p)), { maxNewTokens: 24, seed: 99, greedy });
  const byKind: Record<string, { n: number; honoured: number }> = {};
  let honoured = 0;
  let total = 0;
  let onTopic = 0;
  let wellFormed = 0;
  prompts.forEach((p, i) => {
    const s = task.oracle.score(p, task.format.extractCompletion(gens[i].text));
    const k = (byKind[p.constraint.kind] ??= { n: 0, honoured: 0 });
    k.n++;
    if (s.honoured) {
      honoured++;
      k.honoured++;
    }
    total += s.total;
    onTopic += s.onTopic;
    wellFormed += s.wellFormed;
  });
  const r = (x: number): number => Math.round((x / n) * 1000) / 1000;
  return {
    honoured: r(honoured),
    oracle_mean: r(total),
    on_topic: r(onTopic),
    well_formed: r(wellFormed),
    honoured_by_kind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, Math.round((v.honoured / v.n) * 100) / 100])),
    example: `${prompts[0].text} → ${gens[0].text}`,
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const task = createBuiltinTask({ honourShare: arg('honour-share', 0.27) });
  const tokenizer = trainTaskTokenizer(task);
  const config = { ...TASK_MODEL_CONFIG, width: arg('width', TASK_MODEL_CONFIG.width), layers: arg('layers', TASK_MODEL_CONFIG.layers), heads: arg('heads', TASK_MODEL_CONFIG.heads) };
  const data = taskSftData(task);
  const curve: [number, number, number?][] = [];
  let acc = 0;
  let cnt = 0;
  const steps = arg('steps', TASK_SFT_OPTIONS.steps as number);
  const lr = arg('lr', TASK_SFT_OPTIONS.lr);
  const sft = {
    ...TASK_SFT_OPTIONS,
    steps,
    warmupSteps: Math.min(arg('warmup', TASK_SFT_OPTIONS.warmupSteps as number), steps),
    batchSize: arg('batch', TASK_SFT_OPTIONS.batchSize),
    lr,
    minLr: lr / 10,
    seed: arg('seed', 1),
  };
  const r = await trainSft(
    { config, tokenizer, examples: data.train },
    {
      ...sft,
      evalEvery: Math.max(1, Math.round(steps / 6)),
      evalExamples: data.eval,
      session: { threads: 2, spinning: arg('spinning', 0) === 1 },
      onProgress: (step, m) => {
        acc += m.loss;
        cnt++;
        if (step % 100 === 0 || m.evalLoss !== undefined) {
          curve.push([step, Math.round((acc / cnt) * 1000) / 1000, m.evalLoss === undefined ? undefined : Math.round(m.evalLoss * 1000) / 1000]);
          process.stderr.write(`step ${step} loss ${(acc / cnt).toFixed(3)}${m.evalLoss === undefined ? '' : ` eval ${m.evalLoss.toFixed(3)}`} ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
          acc = 0;
          cnt = 0;
        }
      },
    },
  );
  const trainS = r.wallMs / 1000;
  const dump = process.argv.indexOf('--dump');
  if (dump >= 0) writeFileSync(process.argv[dump + 1], serializeModel(r.bundle));
  const sampler = await Sampler.create(r.bundle);
  const n = arg('samples', 320);
  const out = {
    config,
    sft,
    sft_wall_s: Math.round(trainS * 10) / 10,
    loss_curve: curve,
    sample_t1: { train: await score(task, sampler, 'train', n, false), heldout: await score(task, sampler, 'heldout', n, false) },
    greedy: { train: await score(task, sampler, 'train', n, true), heldout: await score(task, sampler, 'heldout', n, true) },
    demonstrations_honour_share: task.options.honourShare,
    total_wall_s: Math.round((performance.now() - t0) / 100) / 10,
  };
  await sampler.release();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
