/**
 * The coefficient β of the per-token KL penalty −β·(log π(a|s) − log π_ref(a|s)) that PPO folds into its rewards.
 *
 * Adaptive (Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences", §2.2): after each rollout
 * batch with measured KL (nats per sequence),
 *   e = clip(KL / target − 1, −0.2, 0.2),  β ← β · (1 + e · n / horizon)
 * where n is the number of episodes in the batch. β rises when the policy drifts past the target and falls when it
 * stays close, so KL settles near the target instead of running away (a fixed β let the spike's KL reach ~30 nats).
 */

/** Options of {@link KlController}. */
export interface KlControllerOptions {
  /** Initial β. */
  initCoef: number;
  /** Adapt β toward `target` (true) or keep it fixed. */
  adaptive: boolean;
  /** Target KL in nats per sequence (adaptive only). */
  target?: number;
  /** Episodes over which a full proportional correction is applied (adaptive only). */
  horizon?: number;
}

/** The controller's full state (JSON): restore with {@link KlController.fromState} for bit-identical resume. */
export interface KlControllerState {
  format: 'hone.kl-controller.v1';
  coef: number;
  adaptive: boolean;
  target: number | null;
  horizon: number | null;
}

/** Largest proportional error applied in one update (Ziegler et al.). */
export const KL_ERROR_CLIP = 0.2;

/** Fixed or adaptive KL coefficient with a serialisable state. */
export class KlController {
  private beta: number;
  readonly adaptive: boolean;
  readonly target: number | null;
  readonly horizon: number | null;

  constructor(options: KlControllerOptions) {
    if (!(options.initCoef >= 0) || !Number.isFinite(options.initCoef)) throw new RangeError(`KlController: initCoef must be finite and ≥ 0, got ${options.initCoef}`);
    this.beta = options.initCoef;
    this.adaptive = options.adaptive;
    if (options.adaptive) {
      if (!(options.target !== undefined && options.target > 0)) throw new RangeError(`KlController: an adaptive controller needs target > 0, got ${options.target}`);
      if (!(options.horizon !== undefined && options.horizon > 0)) throw new RangeError(`KlController: an adaptive controller needs horizon > 0, got ${options.horizon}`);
      this.target = options.target;
      this.horizon = options.horizon;
    } else {
      this.target = options.target ?? null;
      this.horizon = options.horizon ?? null;
    }
  }

  /** The current β. */
  get coef(): number {
    return this.beta;
  }

  /** Updates β from a batch's mean KL (nats per sequence) over `episodes` episodes; returns the new β. */
  update(klPerSequence: number, episodes: number): number {
    if (!Number.isFinite(klPerSequence)) throw new RangeError(`KlController.update: KL is ${klPerSequence}`);
    if (!(Number.isInteger(episodes) && episodes > 0)) throw new RangeError(`KlController.update: episodes must be a positive integer, got ${episodes}`);
    if (!this.adaptive) return this.beta;
    const target = this.target as number;
    const horizon = this.horizon as number;
    const error = Math.min(KL_ERROR_CLIP, Math.max(-KL_ERROR_CLIP, klPerSequence / target - 1));
    this.beta *= 1 + (error * episodes) / horizon;
    return this.beta;
  }

  state(): KlControllerState {
    return { format: 'hone.kl-controller.v1', coef: this.beta, adaptive: this.adaptive, target: this.target, horizon: this.horizon };
  }

  static fromState(state: KlControllerState): KlController {
    if (state?.format !== 'hone.kl-controller.v1') throw new TypeError(`KlController.fromState: unknown format ${JSON.stringify(state?.format)}`);
    const c = new KlController({ initCoef: state.coef, adaptive: state.adaptive, target: state.target ?? undefined, horizon: state.horizon ?? undefined });
    return c;
  }
}
