import type * as ort from 'onnxruntime-node';
import { Graph, type GraphOptions, type ParamInfo } from '../autodiff/graph';
import { paramFeeds } from '../models/feeds';
import type { Weights } from '../models/init';
import type { SessionCache } from '../models/session-cache';
import type { Tensor } from '../onnx/tensor';
import type { AdamW } from '../optim/adamw';
import { clipScale, globalGradNorm } from '../optim/clip-grad';

/** What a trainer's graph builder returns: a scalar loss and any forward outputs it wants back each run. */
export interface LossGraph {
  loss: Tensor;
  outputs?: Record<string, Tensor>;
}

/** Options of {@link compileProgram}. */
export interface ProgramOptions {
  /** Which params get gradients (default all). Others are fed but frozen (e.g. a reference policy's 'ref.*'). */
  trainable?: (name: string) => boolean;
  /** false: a forward-only program (evaluation, scoring); default true. */
  gradients?: boolean;
  graph?: GraphOptions;
}

/** Result of one {@link Program.run}. */
export interface ProgramResult {
  loss: number;
  /** Gradients of the trainable params (empty for forward-only programs). */
  grads: Record<string, Float32Array>;
  /** The extra outputs the builder asked for. */
  outputs: Record<string, ort.Tensor>;
}

/**
 * A compiled training (or evaluation) step: one onnxruntime session that computes the loss, the gradient of
 * every trainable param and the builder's extra outputs in one run. Weights are fed from Float32Arrays by name
 * without copies, so an optimizer updating them in place between runs is all a training loop needs.
 */
export class Program {
  private constructor(
    readonly session: ort.InferenceSession,
    /** Every param of the graph, in declaration order. */
    readonly params: readonly ParamInfo[],
    /** The params that get gradients. */
    readonly trainable: readonly ParamInfo[],
    private readonly outputNames: readonly string[],
  ) {}

  /** Runs the step: `weights` for every param, `feeds` for the other inputs. */
  async run(weights: Readonly<Weights>, feeds: Readonly<Record<string, ort.Tensor>>): Promise<ProgramResult> {
    const all = paramFeeds(this.params, weights, { ...feeds });
    const out = await this.session.run(all);
    const grads: Record<string, Float32Array> = {};
    for (const p of this.trainable) grads[p.name] = out[`grad:${p.name}`].data as Float32Array;
    const outputs: Record<string, ort.Tensor> = {};
    for (const n of this.outputNames) outputs[n] = out[n];
    return { loss: Number(out.loss.data[0]), grads, outputs };
  }

  /**
   * Builds the graph with `build`, adds the backward pass for the trainable params and creates (or takes from
   * `cache` under `key`) the session. The graph is only built when the cache does not have the key.
   */
  static async compile(build: (g: Graph) => LossGraph, cache: SessionCache, key: string, options: ProgramOptions = {}): Promise<Program> {
    const g = new Graph(options.graph);
    const { loss, outputs = {} } = build(g);
    if (loss.shape.length !== 0) throw new Error(`Program ${key}: loss ${loss} must be a scalar`);
    const isTrainable = options.trainable ?? (() => true);
    const trainable = options.gradients === false ? [] : g.params.filter((p) => isTrainable(p.name));
    const session = await cache.get(key, () => {
      const outs: Record<string, Tensor> = { loss, ...outputs };
      if (trainable.length > 0) {
        const grads = g.grad(loss, trainable.map((p) => p.tensor));
        trainable.forEach((p, i) => (outs[`grad:${p.name}`] = grads[i]));
      }
      return g.build({ outputs: outs, name: key });
    });
    return new Program(session, g.params, trainable, Object.keys(outputs));
  }
}

/** Options of {@link optimizerStep}. */
export interface UpdateOptions {
  lr: number;
  /** Global-norm clipping threshold (0 or undefined = none). */
  clip?: number;
}

/**
 * One AdamW update of `weights` in place from `grads`, with global-norm clipping folded into the update (no
 * extra pass over the gradients). Returns the gradient norm before clipping.
 */
export function optimizerStep(opt: AdamW, weights: Weights, grads: Readonly<Record<string, Float32Array>>, options: UpdateOptions): number {
  const norm = globalGradNorm(Object.values(grads));
  if (!Number.isFinite(norm)) throw new Error(`optimizerStep: gradient norm is ${norm} (the loss diverged or the inputs are invalid)`);
  const gradScale = options.clip && options.clip > 0 ? clipScale(norm, options.clip) : 1;
  opt.step(weights, grads, { lr: options.lr, gradScale });
  return norm;
}
