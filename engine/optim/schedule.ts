/** Options of {@link warmupCosine}. */
export interface WarmupCosineOptions {
  peakLr: number;
  /** Updates of linear warm-up from peakLr/warmupSteps to peakLr (0 = none). */
  warmupSteps: number;
  /** Update at which the cosine reaches minLr (and stays). */
  totalSteps: number;
  /** Floor of the decay (default 0). */
  minLr?: number;
}

/**
 * Linear warm-up then cosine decay. The returned function takes the 1-based number of the update about to be
 * taken (optimizer.stepCount + 1) and returns its learning rate.
 */
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  const { peakLr, warmupSteps, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  if (!(peakLr > 0) || !(minLr >= 0) || minLr > peakLr) throw new Error(`warmupCosine: need 0 ≤ minLr ≤ peakLr, peakLr > 0 (got ${minLr}, ${peakLr})`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`warmupCosine: warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  if (!Number.isInteger(totalSteps) || totalSteps < warmupSteps) throw new Error(`warmupCosine: totalSteps ${totalSteps} must be an integer ≥ warmupSteps ${warmupSteps}`);
  return (step: number): number => {
    if (!Number.isInteger(step) || step < 1) throw new Error(`warmupCosine: step must be a positive integer, got ${step}`);
    if (step <= warmupSteps) return (peakLr * step) / warmupSteps;
    if (totalSteps === warmupSteps) return peakLr;
    const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
    return minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
