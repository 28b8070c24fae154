import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ModelConfig, validateModelConfig } from '../models/config';
import type { Weights } from '../models/init';
import { Tokenizer } from '../tokenizer/tokenizer';
import type { RngState } from '../util/rng';
import { type GenerateOptions, type Generation, Sampler, type SamplerModel, type SamplerOptions, checkGenerateOptions, encodePrompts, sequenceStream } from './sampler';
import type { PoolReply, PoolRequest } from './sampler-worker';

/** Options of {@link SamplerPool.create}. */
export interface SamplerPoolOptions extends SamplerOptions {
  /** Worker threads, each with its own 1-thread onnxruntime sessions (default 2: one per core here). */
  workers?: number;
  /**
   * Also sample one share on the calling thread, with an in-process {@link Sampler}, instead of leaving it idle
   * while the workers run (default false; the calling thread is then busy for its share's onnxruntime runs, as
   * with an in-process Sampler). Measured on the 2-core machine (task model, 48 new tokens, median of 15 interleaved
   * runs): `{ workers: 1, callingThread: true }` vs two workers 17.0 vs 20.5 ms at 16 rows, 24.3 vs 31.1 at 32,
   * 58.6 vs 56.3 at 64; inside `npm run bench:engine` (16 rows) they tied in one run (40 650 vs 41 025 tok/s) and
   * the calling thread won in the next (40 100 vs 29 717).
   */
  callingThread?: boolean;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class PoolWorker {
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  private failed: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: PoolReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(`sampler worker: ${m.error}`));
      else p.resolve(m.result);
    });
    const fail = (e: Error): void => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`sampler worker exited with code ${code}`)));
  }

  request(req: PoolRequest extends infer R ? (R extends PoolRequest ? Omit<R, 'id'> : never) : never): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref(); // keep the process alive while a reply is due
      this.worker.postMessage({ ...req, id });
    });
  }
}

/**
 * Data-parallel sampling over worker threads: each worker runs its own {@link Sampler} (1-thread sessions) on a
 * contiguous share of the prompts, so on two cores the model runs and the JavaScript token selection of both
 * halves proceed at once (onnxruntime-node's `run` holds the calling thread, and a second intra-op thread helps a
 * small model's decode step little). Results are identical to one in-process Sampler's: each prompt keeps its
 * stream (`fork('sequence:' + i)` of the seed, computed here and handed over) and rows do not interact.
 */
export class SamplerPool {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  private constructor(
    model: SamplerModel,
    private readonly workers: PoolWorker[],
    /** The calling thread's sampler (share 0), when `callingThread` is set. */
    private readonly local: Sampler | undefined,
  ) {
    this.config = validateModelConfig(model.config);
    this.tokenizer = model.tokenizer instanceof Tokenizer ? model.tokenizer : Tokenizer.fromJSON(model.tokenizer);
  }

  /** Starts the workers and builds their sessions. */
  static async create(model: SamplerModel, options: SamplerPoolOptions = {}): Promise<SamplerPool> {
    const n = options.workers ?? 2;
    if (!Number.isInteger(n) || n < 1) throw new Error(`SamplerPool: workers must be a positive integer, got ${n}`);
    const { workers: _n, callingThread = false, ...samplerOptions } = options;
    const plain: SamplerModel = {
      config: model.config,
      tokenizer: model.tokenizer instanceof Tokenizer ? model.tokenizer.toJSON() : model.tokenizer,
      weights: model.weights,
    };
    const boot = join(__dirname, 'sampler-worker-boot.js');
    const entry = join(__dirname, `sampler-worker${extname(__filename)}`);
    const workers = Array.from({ length: n }, () => new PoolWorker(new Worker(boot, { workerData: { entry, model: plain, options: samplerOptions } })));
    let local: Sampler | undefined;
    const pool = (): SamplerPool => new SamplerPool(plain, workers, local);
    try {
      // the first request waits for each worker's sessions
      const ready = Promise.all(workers.map((w) => w.request({ kind: 'ready' })));
      ready.catch(() => undefined); // awaited below; not an unhandled rejection while the local sampler builds
      if (callingThread) local = await Sampler.create(plain, samplerOptions);
      await ready;
    } catch (e) {
      await pool().release();
      throw e;
    }
    return pool();
  }

  /** Same contract as {@link Sampler.generate}. */
  async generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<Generation[]> {
    const rule = checkGenerateOptions(options, prompts.length);
    const ids = encodePrompts(this.tokenizer, this.config, prompts);
    const streams: RngState[] | undefined = rule.greedy ? undefined : ids.map((_, i) => sequenceStream(options, i).state());
    // share k of the rows: share 0 on the calling thread when it samples too, the others on the workers in order
    const runners: ((prompts: number[][], options: GenerateOptions) => Promise<Generation[]>)[] = this.workers.map(
      (w) => (p, o) => w.request({ kind: 'generate', prompts: p, options: o }) as Promise<Generation[]>,
    );
    const local = this.local;
    if (local) runners.unshift((p, o) => local.generate(p, o));
    const size = Math.ceil(ids.length / runners.length);
    const shares = runners.map((run, k) => ({ run, lo: k * size, hi: Math.min(ids.length, (k + 1) * size) }));
    const start = ({ run, lo, hi }: (typeof shares)[number]): Promise<Generation[]> => {
      if (lo >= hi) return Promise.resolve([]);
      return run(ids.slice(lo, hi), { ...options, seed: undefined, seeds: undefined, streams: streams?.slice(lo, hi) });
    };
    // post every worker's share before the calling thread starts its own (which holds the thread while it runs)
    const parts: Promise<Generation[]>[] = new Array(shares.length);
    for (let k = shares.length - 1; k >= 0; k--) parts[k] = start(shares[k]);
    return (await Promise.all(parts)).flat();
  }

  /** Sends new weights to every worker (each rebuilds its sessions), and to the calling thread's sampler. */
  async setWeights(weights: Readonly<Weights>): Promise<void> {
    const sent = Promise.all(this.workers.map((w) => w.request({ kind: 'setWeights', weights: weights as Weights })));
    if (this.local) await this.local.setWeights(weights);
    await sent;
  }

  /** Stops the workers and releases the calling thread's sampler. */
  async release(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.worker.terminate()), this.local?.release()]);
  }
}
