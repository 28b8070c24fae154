import { type GradCheckOptions, type GradCheckResult, type LossBuilder, checkGradients } from './grad-check';

/** Limits the gradient tests hold every op to (float64 finite differences; float32 vs float64). */
export const GRAD_TOL = { f64: 1e-5, f32Grad: 2e-3, f32Loss: 1e-4 };

/** Runs {@link checkGradients} and fails with the worst coordinate when a limit is exceeded. */
export async function expectGradientsMatch(build: LossBuilder, options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const r = await checkGradients(build, options);
  const detail = JSON.stringify(r);
  if (!(r.checked > 0)) throw new Error(`no coordinates checked: ${detail}`);
  if (!(r.maxError < GRAD_TOL.f64)) throw new Error(`float64 gradient differs from finite differences: ${detail}`);
  if (r.float32 && !(r.float32.gradError < GRAD_TOL.f32Grad)) throw new Error(`float32 gradient differs from float64: ${detail}`);
  if (r.float32 && !(r.float32.lossError < GRAD_TOL.f32Loss)) throw new Error(`float32 loss differs from float64: ${detail}`);
  return r;
}

/** One row of a table-driven gradient test (objects, so jest's it.each passes a single argument). */
export interface GradCase {
  name: string;
  build: LossBuilder;
  feeds?: GradCheckOptions['feeds'];
  wrt?: readonly string[];
  opset?: number;
}
