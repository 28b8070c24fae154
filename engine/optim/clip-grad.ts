/** L2 norm of all gradients together, accumulated in float64. */
export function globalGradNorm(grads: Iterable<ArrayLike<number>>): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/**
 * The factor that brings a global gradient norm down to `maxNorm` (1 when it is already within), as PyTorch's
 * clip_grad_norm_ computes it: maxNorm / (norm + 1e-6), capped at 1. Pass it to AdamW.step as `gradScale`.
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipScale: maxNorm must be positive, got ${maxNorm}`);
  if (!Number.isFinite(norm)) throw new Error(`clipScale: gradient norm is ${norm}`);
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** Scales gradients in place so their global norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: Iterable<Float32Array>, maxNorm: number): number {
  const list = [...grads];
  const norm = globalGradNorm(list);
  const s = clipScale(norm, maxNorm);
  if (s < 1) for (const g of list) for (let i = 0; i < g.length; i++) g[i] *= s;
  return norm;
}
