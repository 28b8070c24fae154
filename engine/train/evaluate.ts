/**
 * Policy evaluation on held-out prompts: one completion per prompt from the tuned policy and from the reference
 * (SFT) policy with the same seeds (prompt i draws from the same random stream in both), then
 *  - win rate of the policy over the reference by a held-out judge (the noiseless oracle for the built-in task),
 *    ties counting ½, with a seeded percentile-bootstrap 95% interval over prompts;
 *  - KL(π‖π_ref) in nats per sequence, Monte-Carlo from the policy's samples: mean over samples of
 *    Σ_t log π(y_t|·) − log π_ref(y_t|·) (unbiased at temperature 1 without top-k/top-p, the default);
 *  - mean reward-model score of both (when a reward model is given);
 *  - constraint-honoured share of both (when a predicate is given), with Wilson 95% intervals.
 */
import type { ModelBundle } from '../models/bundle';
import { PLATFORM_SESSION_OPTIONS, SessionCache } from '../models/session-cache';
import { Sampler } from '../sampling/sampler';
import { type TaskFormat, createTaskFormat } from '../task/format';
import { Tokenizer } from '../tokenizer/tokenizer';
import { scoreCompletionTokens, scoreRewards } from './scoring';
import { type TokenizedSequence, bucketLength, sequenceLength } from './sequences';
import { type Estimate, bootstrapMean, mean, wilsonInterval } from './stats';

/** Inputs of {@link evaluatePolicy}. */
export interface EvaluatePolicyInput {
  policy: ModelBundle;
  reference: ModelBundle;
  /** Scores both policies' completions when given. */
  rewardModel?: ModelBundle;
  /** Held-out prompt texts. */
  prompts: readonly string[];
  /** 1 if completion a is better than b for the prompt, ½ tie, 0 worse (e.g. the built-in task's judge.compare). */
  judge: (prompt: string, a: string, b: string) => number;
  /** Whether a completion honours the prompt's constraint (e.g. oracle.score(p, c).honoured). */
  honoured?: (prompt: string, completion: string) => boolean;
}

/** Options of {@link evaluatePolicy}. */
export interface EvaluatePolicyOptions {
  /** Seed of the sampling streams (shared by policy and reference) and of the bootstrap. Default 1. */
  seed?: number;
  maxNewTokens?: number;
  temperature?: number;
  /** Bootstrap resamples of the win-rate interval (default 2000). */
  resamples?: number;
  /** Number of example triples (prompt, policy, reference) to return (default 5). */
  examples?: number;
  format?: TaskFormat;
  sessions?: SessionCache;
}

/** What {@link evaluatePolicy} measured. */
export interface PolicyEvaluation {
  prompts: number;
  winRate: number;
  /** Percentile bootstrap over prompts (seeded), 95%. */
  winRateCi95: [number, number];
  wins: number;
  ties: number;
  losses: number;
  /** Mean KL(π‖π_ref) per sequence in nats, with its bootstrap 95% interval, and per completion token. */
  klMean: number;
  klCi95: [number, number];
  klPerToken: number;
  rmScore?: { policy: number; reference: number };
  honoured?: { policy: Estimate; reference: Estimate };
  responseLength: { policy: number; reference: number };
  eosShare: { policy: number; reference: number };
  examples: { prompt: string; policy: string; reference: string; outcome: number }[];
}

/** Evaluates `policy` against `reference` on held-out prompts; see the file comment. */
export async function evaluatePolicy(input: EvaluatePolicyInput, options: EvaluatePolicyOptions = {}): Promise<PolicyEvaluation> {
  const seed = options.seed ?? 1;
  const maxNewTokens = options.maxNewTokens ?? 24;
  const temperature = options.temperature ?? 1;
  const format = options.format ?? createTaskFormat();
  const sessions = options.sessions ?? new SessionCache(PLATFORM_SESSION_OPTIONS);
  const cfg = input.policy.config;
  if (JSON.stringify(input.reference.config) !== JSON.stringify(cfg)) throw new Error('evaluatePolicy: policy and reference configs differ');
  if (input.prompts.length === 0) throw new Error('evaluatePolicy: no prompts');
  const tokenizer = Tokenizer.fromJSON(input.policy.tokenizer);
  const promptIds = input.prompts.map((p) => tokenizer.encode(format.renderPrompt(p), { allowSpecial: false }));

  const generate = async (bundle: ModelBundle) => {
    const sampler = await Sampler.create(bundle, { batchSize: 64 });
    try {
      return await sampler.generate(promptIds, { maxNewTokens, seed, temperature });
    } finally {
      await sampler.release();
    }
  };
  const polGen = await generate(input.policy);
  const refGen = await generate(input.reference);
  const polText = polGen.map((g) => format.extractCompletion(g.text));
  const refText = refGen.map((g) => format.extractCompletion(g.text));

  const outcomes = input.prompts.map((p, i) => input.judge(p, polText[i], refText[i]));
  const win = bootstrapMean(outcomes, `${seed}:win-rate`, options.resamples ?? 2000);

  const polSeqs: TokenizedSequence[] = polGen.map((g, i) => ({ prompt: promptIds[i], completion: g.tokens }));
  const refSeqs: TokenizedSequence[] = refGen.map((g, i) => ({ prompt: promptIds[i], completion: g.tokens }));
  const shapeOf = (seqs: TokenizedSequence[]) => ({ rows: 32, seq: bucketLength(Math.max(...seqs.map(sequenceLength)), 8, cfg.context) });
  const polShape = shapeOf(polSeqs);
  const lpPol = await scoreCompletionTokens(sessions, cfg, input.policy.weights, polSeqs, polShape, tokenizer.padId);
  const lpRef = await scoreCompletionTokens(sessions, cfg, input.reference.weights, polSeqs, polShape, tokenizer.padId);
  const kls = lpPol.logProbs.map((lp, i) => {
    let s = 0;
    for (let t = 0; t < lp.length; t++) s += lp[t] - lpRef.logProbs[i][t];
    return s;
  });
  const kl = bootstrapMean(kls, `${seed}:kl`, options.resamples ?? 2000);
  const polTokens = polSeqs.reduce((s, q) => s + q.completion.length, 0);

  let rmScore: PolicyEvaluation['rmScore'];
  if (input.rewardModel) {
    const rmCfg = input.rewardModel.config;
    rmScore = {
      policy: mean(await scoreRewards(sessions, rmCfg, input.rewardModel.weights, polSeqs, polShape, tokenizer.padId)),
      reference: mean(await scoreRewards(sessions, rmCfg, input.rewardModel.weights, refSeqs, shapeOf(refSeqs), tokenizer.padId)),
    };
  }
  let honoured: PolicyEvaluation['honoured'];
  if (input.honoured) {
    const h = input.honoured;
    const count = (texts: string[]) => texts.filter((t, i) => h(input.prompts[i], t)).length;
    honoured = { policy: wilsonInterval(count(polText), polText.length), reference: wilsonInterval(count(refText), refText.length) };
  }
  const nEx = Math.min(options.examples ?? 5, input.prompts.length);
  return {
    prompts: input.prompts.length,
    winRate: win.mean,
    winRateCi95: win.ci95,
    wins: outcomes.filter((x) => x === 1).length,
    ties: outcomes.filter((x) => x === 0.5).length,
    losses: outcomes.filter((x) => x === 0).length,
    klMean: kl.mean,
    klCi95: kl.ci95,
    klPerToken: kls.reduce((s, x) => s + x, 0) / Math.max(polTokens, 1),
    rmScore,
    honoured,
    responseLength: { policy: polTokens / polSeqs.length, reference: refSeqs.reduce((s, q) => s + q.completion.length, 0) / refSeqs.length },
    eosShare: { policy: polGen.filter((g) => g.finishReason === 'eos').length / polGen.length, reference: refGen.filter((g) => g.finishReason === 'eos').length / refGen.length },
    examples: Array.from({ length: nEx }, (_, i) => ({ prompt: input.prompts[i], policy: polText[i], reference: refText[i], outcome: outcomes[i] })),
  };
}
