/**
 * Generalised advantage estimation (Schulman et al. 2016) over one episode, and advantage whitening.
 *
 * In RLHF an episode is one completion: step t is the t-th response token, its reward is the per-token KL penalty
 * (plus the reward model's score on the last token), and the value after the last token is 0 (the episode ends).
 */

/** Advantages and value targets of one episode. */
export interface GaeResult {
  /** Â_t = Σ_l (γλ)^l δ_{t+l}, δ_t = r_t + γ V_{t+1} − V_t (V after the last step = 0). */
  advantages: Float64Array;
  /** Value targets Â_t + V_t (λ-returns). */
  returns: Float64Array;
}

/**
 * GAE for one episode of `rewards.length` steps with state values `values` (same length). γ = 1 and λ = 0.95 are
 * the InstructGPT / TRL defaults; λ = 1 gives Monte-Carlo returns, λ = 0 one-step TD.
 */
export function computeGae(rewards: ArrayLike<number>, values: ArrayLike<number>, gamma: number, lambda: number): GaeResult {
  const n = rewards.length;
  if (values.length !== n) throw new Error(`computeGae: ${n} rewards but ${values.length} values`);
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`computeGae: gamma must be in [0, 1], got ${gamma}`);
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`computeGae: lambda must be in [0, 1], got ${lambda}`);
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  let next = 0;
  let running = 0;
  for (let t = n - 1; t >= 0; t--) {
    const delta = rewards[t] + gamma * next - values[t];
    running = delta + gamma * lambda * running;
    advantages[t] = running;
    returns[t] = running + values[t];
    next = values[t];
  }
  return { advantages, returns };
}

/** Mean and population standard deviation of `xs`, accumulated in float64. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, std: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / n) };
}

/**
 * Whitens `xs` in place: (x − mean) / (std + eps) with the population std over all of them, or only
 * x / (std + eps) when `shiftMean` is false. PPO whitens advantages over the whole rollout batch (all response
 * tokens of all episodes) before the update epochs, as TRL's `masked_whiten` does.
 */
export function whiten(xs: Float64Array | Float32Array, shiftMean = true, eps = 1e-8): { mean: number; std: number } {
  const stats = meanStd(xs);
  const shift = shiftMean ? stats.mean : 0;
  const scale = 1 / (stats.std + eps);
  for (let i = 0; i < xs.length; i++) xs[i] = (xs[i] - shift) * scale;
  return stats;
}
