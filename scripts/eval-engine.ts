/**
 * `npm run eval:engine`: the built-in task end to end on the engine — SFT → K completions per training prompt →
 * simulated rankings at 10% label noise → reward model → PPO, then `--rounds` − 1 more rounds of (K completions of
 * the current policy → rankings → RM refitted on every ranking so far → more PPO) → evaluation against the SFT
 * policy on held-out prompts (unseen topic × constraint pairs) by the held-out judge (the noiseless oracle). Prints
 * one JSON line.
 *
 *   npx tsx scripts/eval-engine.ts [--seed 1] [--task-seed 1234] [--vocab N] [--eval-split heldout|train] [--sft-steps N]
 *     [--k 8] [--rm-epochs 2] [--rm-lr 1e-3] [--rm-batch 8] [--ppo-iterations N] [--ppo-lr X] [--ppo-epochs N]
 *     [--rounds 2] [--ppo-iterations-next 40] [--ppo-epochs-next 2] [--rm-epochs-next 1] [--rm-warm-start 0] [--next-reference-share 0]
 *     [--prompts-per-iteration N] [--kl-target X] [--init-kl X] [--ptx-coef X] [--noise 0.1] [--honour-share 0.27] [--verbose 1 | --quiet 1] [--dump DIR]
 *
 * `--dump DIR` also writes the SFT, reward and PPO models (safetensors), the rankings, the RM metrics and every
 * evaluation example (JSON) there;
 * `--from DIR` reuses them instead of training (for tuning PPO; `--refit-rm 1` refits the RM on the same rankings).
 * The dumped RM and rankings are round 1's; the PPO model is the final one.
 *
 * Progress goes to stderr: each phase, SFT every 200 steps and PPO every 10 iterations; `--verbose 1` adds every PPO
 * iteration, the RM's steps and its metrics in full, `--quiet 1` prints nothing but the JSON line.
 *
 * `--eval-split train` evaluates on training-distribution prompts instead: hyper-parameters are tuned with it,
 * so that the held-out prompts are only ever used for the reported figures.
 */
import {
  TASK_MODEL_CONFIG,
  createBuiltinTask,
  evaluatePolicy,
  fitRewardModel,
  rankedSamples,
  rankingFromLabeler,
  runPpo,
  sampleCompletions,
  trainTaskSft,
  trainTaskTokenizer,
} from '../engine';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type ModelBundle, type RankedCompletions, type RewardModelMetrics, deserializeModel, serializeModel } from '../engine';
import { TASK_VOCAB_SIZE } from '../engine/task';
import { Rng } from '../engine/util/rng';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name}: expected a number, got ${process.argv[i + 1]}`);
  return v;
}
function argStr(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}
const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const t0 = performance.now();
  const load0 = loadavg()[0];
  const seed = arg('seed', 1);
  // progress goes to stderr (stdout is the one JSON line): each phase and every 10th PPO iteration by default,
  // every PPO iteration, RM steps and the RM metrics in full with --verbose 1, nothing with --quiet 1
  const verbose = arg('verbose', 0) > 0;
  const quiet = arg('quiet', 0) > 0;
  const say = (msg: string): void => {
    if (!quiet) process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  };
  const log = (msg: string): void => {
    if (verbose) say(msg);
  };
  const phases: Record<string, number> = {};
  // CPU seconds per phase too: wall times on the shared machine depend on what else runs
  const phasesCpu: Record<string, number> = {};
  const cpuNow = (): number => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  let mark = performance.now();
  let cpuMark = cpuNow();
  const phase = (name: string): void => {
    const now = performance.now();
    const cpu = cpuNow();
    phases[name] = round((now - mark) / 1000, 1);
    phasesCpu[name] = round(cpu - cpuMark, 1);
    mark = now;
    cpuMark = cpu;
  };

  const task = createBuiltinTask({ seed: arg('task-seed', 1234), ...(process.argv.includes('--honour-share') ? { honourShare: arg('honour-share', 0) } : {}) });
  const tokenizer = trainTaskTokenizer(task, { vocabSize: arg('vocab', TASK_VOCAB_SIZE) });
  phase('task_s');

  const from = argStr('from', '');
  say(from ? `loading the SFT model, rankings and RM from ${from}` : `SFT on the task's demonstrations (seed ${seed})`);
  const sft = from
    ? { bundle: deserializeModel(readFileSync(join(from, 'sft.safetensors'))), history: [] as { loss: number }[] }
    : await trainTaskSft(task, {
    tokenizer,
    seed,
    config: { width: arg('width', TASK_MODEL_CONFIG.width), layers: arg('layers', TASK_MODEL_CONFIG.layers), heads: arg('heads', TASK_MODEL_CONFIG.heads) },
    ...(process.argv.includes('--sft-steps') ? { steps: arg('sft-steps', 0) } : {}),
    ...(process.argv.includes('--sft-lr') ? { lr: arg('sft-lr', 0) } : {}),
    onProgress: (step, m) => {
      if (step % 200 === 0) say(`sft step ${step} loss ${m.loss.toFixed(3)}`);
    },
  });
  const reference = sft.bundle;
  phase('sft_s');

  // K completions for every training prompt, ranked by a simulated labeler with calibrated noise
  const k = arg('k', 8);
  const maxNewTokens = arg('max-new-tokens', 24);
  const trainPrompts = task.trainPrompts.map((p) => p.text);
  const labeler = task.simulatedLabeler({ noise: arg('noise', 0.1), seed: `${seed}:labeler`, markTies: true });
  say(`${k} completions for each of ${trainPrompts.length} training prompts, ranked by the simulated labeler`);
  const rankingsFile = from ? join(from, 'rankings.json') : '';
  const rankings = rankingsFile && existsSync(rankingsFile)
    ? (JSON.parse(readFileSync(rankingsFile, 'utf8')) as RankedCompletions[])
    : (await sampleCompletions(reference, trainPrompts, { k, seed: `${seed}:rm-samples`, maxNewTokens })).map((s) =>
        rankingFromLabeler(s.prompt, s.texts, labeler.rank(s.prompt, s.texts, s.prompt)),
      );
  phase('sample_label_s');

  const oracleTotal = (p: string, c: string): number => task.oracle.score(p, c).total;
  const fitRm = (data: RankedCompletions[], o: { seed: number; epochs: number; tag: string; referenceSamples?: { prompt: string; completion: string }[]; initFrom?: ModelBundle }) =>
    fitRewardModel(reference, data, {
      seed: o.seed,
      epochs: o.epochs,
      lr: arg('rm-lr', 1e-3),
      normalizeScale: arg('rm-scale', 1) > 0,
      batch: arg('rm-batch', 8),
      oracle: oracleTotal,
      referenceSamples: o.referenceSamples,
      initFrom: o.initFrom,
      onProgress: (p) => log(`${o.tag} ${p.phase} ${p.step}/${p.steps} loss ${p.loss?.toFixed(4) ?? ''}`),
      progressEvery: 50,
    });
  const rmFile = from ? join(from, 'rm.safetensors') : '';
  const reuseRm = rmFile !== '' && existsSync(rmFile) && !process.argv.includes('--refit-rm');
  if (!reuseRm) say(`reward model on ${rankings.length} rankings`);
  const rm = reuseRm
    ? { model: deserializeModel(readFileSync(rmFile)), metrics: JSON.parse(readFileSync(join(from, 'rm-metrics.json'), 'utf8')) as RewardModelMetrics }
    : await fitRm(rankings, { seed, epochs: arg('rm-epochs', 2), tag: 'rm' });
  say(`reward model: held-out accuracy ${rm.metrics.heldoutAccuracy.toFixed(3)} vs the labels (${rm.metrics.heldoutAccuracyVsOracle?.toFixed(3)} vs the oracle)`);
  log(`rm ${JSON.stringify(rm.metrics)}`);
  phase('rm_s');
  const dump = argStr('dump', '');
  if (dump) {
    mkdirSync(dump, { recursive: true });
    writeFileSync(join(dump, 'sft.safetensors'), serializeModel(reference));
    writeFileSync(join(dump, 'rm.safetensors'), serializeModel(rm.model));
    writeFileSync(join(dump, 'rankings.json'), JSON.stringify(rankings));
    writeFileSync(join(dump, 'rm-metrics.json'), JSON.stringify(rm.metrics));
  }
  if (arg('stop-after-rm', 0)) {
    process.stdout.write(`${JSON.stringify({ rm: rm.metrics, phases })}\n`);
    return;
  }

  // Rounds of the RLHF loop (DESIGN.md): round 1 is PPO against the RM fitted on the SFT policy's samples; each
  // later round ranks K completions of the current policy for every training prompt, refits the RM from the SFT
  // trunk on every ranking so far (as the platform's workflow does), and continues PPO from the current policy.
  // On-policy comparisons show the RM the completions PPO actually produces, where the round-1 RM had only seen
  // SFT's (measured in engine/README.md, "current defaults: two rounds").
  const rounds = arg('rounds', 2);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${rounds}`);
  const allRankings = [...rankings];
  const referenceSamples = rankedSamples(rankings);
  const sftTexts = new Map(rankings.map((x) => [x.prompt, x.completions]));
  const rmByRound: RewardModelMetrics[] = [rm.metrics];
  let rewardModel = rm.model;
  let policy = reference;
  let ppo: Awaited<ReturnType<typeof runPpo>> | undefined;
  const roundSeed = (r: number, what: string): number => (r === 1 ? seed : Rng.fromSeed(`${seed}:${what}:round${r}`).nextUint32());
  for (let r = 1; r <= rounds; r++) {
    if (r > 1) {
      // --next-reference-share X: that share of each later ranking's K completions are round 1's SFT samples of the
      // prompt, so the labeler compares the current policy's completions with the reference's directly
      const kRef = Math.round(k * arg('next-reference-share', 0));
      say(`round ${r}: ${k - kRef} completions of the current policy for each training prompt, ranked by the same labeler`);
      const fresh = (await sampleCompletions(policy, trainPrompts, { k: k - kRef, seed: `${seed}:rm-samples:round${r}`, maxNewTokens })).map((s) => {
        const texts = [...s.texts, ...(sftTexts.get(s.prompt) ?? []).slice(0, kRef)];
        return rankingFromLabeler(s.prompt, texts, labeler.rank(s.prompt, texts, s.prompt));
      });
      allRankings.push(...fresh);
      phase(`sample_label_r${r}_s`);
      // rewards stay normalised to the reference (SFT) policy's samples, not the mix of every round's
      // --rm-warm-start 1: continue from the previous round's RM, with its seed (the same held-out prompts)
      const warm = arg('rm-warm-start', 0) > 0;
      say(`round ${r}: reward model refitted from ${warm ? "round 1's" : 'the SFT trunk'} on all ${allRankings.length} rankings`);
      const refit = await fitRm(allRankings, { seed: warm ? seed : roundSeed(r, 'rm'), epochs: arg('rm-epochs-next', 1), tag: `rm round ${r}`, referenceSamples, initFrom: warm ? rewardModel : undefined });
      say(`round ${r} reward model: held-out accuracy ${refit.metrics.heldoutAccuracy.toFixed(3)} vs the labels`);
      log(`rm round ${r} ${JSON.stringify(refit.metrics)}`);
      rmByRound.push(refit.metrics);
      rewardModel = refit.model;
      phase(`rm_r${r}_s`);
    }
    say(`round ${r}: PPO`);
    ppo = await runPpo(
      { policy, reference, rewardModel, prompts: (n: number, rng: Rng) => task.samplePrompts(n, rng, 'train').map((p) => p.text), ...(arg('ptx-coef', 0) > 0 ? { pretrainTexts: task.pretrainTexts } : {}) },
      {
        seed: roundSeed(r, 'ppo'),
        iterations: r === 1 ? arg('ppo-iterations', 40) : arg('ppo-iterations-next', 40),
        promptsPerIteration: arg('prompts-per-iteration', 64),
        minibatch: arg('minibatch', 16),
        // later rounds: half the passes over each rollout and twice the rollouts, the same number of updates (more
        // on-policy; measured in engine/README.md, "current defaults: two rounds")
        epochs: r === 1 ? arg('ppo-epochs', 4) : arg('ppo-epochs-next', 2),
        lr: arg('ppo-lr', 1e-4),
        valueLr: arg('value-lr', 1e-4),
        klTarget: arg('kl-target', 6),
        initKlCoef: arg('init-kl', 0.1),
        klHorizon: arg('kl-horizon', 2000),
        ptxCoef: arg('ptx-coef', 0),
        maxNewTokens,
        onProgress: ({ metrics: m, iterations }) =>
          (verbose || m.iteration % 10 === 0 ? say : log)(`ppo round ${r} ${m.iteration}/${iterations} reward ${m.meanReward.toFixed(3)} kl ${m.klPerSequence.toFixed(2)} β ${m.klCoef.toFixed(3)} clip ${m.clipFraction.toFixed(3)} ent ${m.entropy.toFixed(2)} vloss ${m.valueLoss.toFixed(3)} len ${m.responseLength.toFixed(1)} s ${m.sampleSeconds.toFixed(2)}/${m.scoreSeconds.toFixed(2)}/${m.updateSeconds.toFixed(2)}`),
      },
    );
    policy = ppo.policy;
    phase(r === 1 ? 'ppo_s' : `ppo_r${r}_s`);
  }
  if (!ppo) throw new Error('eval-engine: no PPO round ran');

  const split = argStr('eval-split', 'heldout');
  if (split !== 'heldout' && split !== 'train') throw new Error(`--eval-split must be heldout or train, got ${split}`);
  const evalPrompts = split === 'heldout' ? task.heldoutPrompts.map((p) => p.text) : task.samplePrompts(288, Rng.fromSeed(`${seed}:eval-train`), 'train').map((p) => p.text);
  say(`evaluating on ${evalPrompts.length} ${split === 'heldout' ? 'held-out' : 'training-distribution'} prompts: win rate vs the SFT policy by the held-out judge`);
  const ev = await evaluatePolicy(
    {
      policy,
      reference,
      rewardModel,
      prompts: evalPrompts,
      judge: (p, a, b) => task.judge.compare(p, a, b),
      honoured: (p, c) => task.oracle.score(p, c).honoured,
    },
    { seed: arg('eval-seed', 1000 + seed), maxNewTokens, ...(dump ? { examples: evalPrompts.length } : {}) },
  );
  phase('eval_s');
  if (dump) {
    writeFileSync(join(dump, 'ppo.safetensors'), serializeModel(policy));
    writeFileSync(join(dump, 'eval-examples.json'), JSON.stringify(ev.examples));
  }
  const last = ppo.history[ppo.history.length - 1];
  const out = {
    rm_heldout_acc: round(rm.metrics.heldoutAccuracy),
    win_rate_vs_sft: round(ev.winRate),
    win_rate_ci95: ev.winRateCi95.map((x) => round(x)),
    kl_mean_nats: round(ev.klMean, 3),
    wall_s: round((performance.now() - t0) / 1000, 1),
    // CPU seconds of this process (all onnxruntime threads): comparable across machine loads, unlike wall_s
    cpu_s: round((process.cpuUsage().user + process.cpuUsage().system) / 1e6, 1),
    load_avg_1m: [round(load0, 2), round(loadavg()[0], 2)],
    rm_heldout_acc_vs_oracle: round(rm.metrics.heldoutAccuracyVsOracle ?? NaN),
    rm_label_ceiling: round(rm.metrics.heldoutLabelCeiling ?? NaN),
    rm_heldout_pairs: rm.metrics.heldoutPairs,
    // every round's RM: round 1's held-out rankings are of SFT samples (the figure above); later rounds' mix in
    // the PPO policy's samples, which differ less from one another
    rm_rounds: rmByRound.map((m) => ({ heldout_acc: round(m.heldoutAccuracy), vs_oracle: round(m.heldoutAccuracyVsOracle ?? NaN), heldout_pairs: m.heldoutPairs, train_pairs: m.pairsUsed })),
    rounds,
    rm_train_pairs: rm.metrics.pairsUsed,
    eval_split: split,
    eval_prompts: ev.prompts,
    wins_ties_losses: [ev.wins, ev.ties, ev.losses],
    kl_ci95: ev.klCi95.map((x) => round(x, 3)),
    rm_score_ppo: round(ev.rmScore?.policy ?? NaN, 3),
    rm_score_sft: round(ev.rmScore?.reference ?? NaN, 3),
    honoured_ppo: round(ev.honoured?.policy.mean ?? NaN, 3),
    honoured_sft: round(ev.honoured?.reference.mean ?? NaN, 3),
    ppo_final: { reward: round(last.meanReward, 3), kl_per_seq: round(last.klPerSequence, 3), kl_coef: round(last.klCoef, 4), clip_fraction: round(last.clipFraction, 3), entropy: round(last.entropy, 3) },
    sft_final_loss: round(sft.history[sft.history.length - 1]?.loss ?? NaN, 3),
    phases,
    phases_cpu_s: phasesCpu,
    seed,
    example: ev.examples[0],
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
