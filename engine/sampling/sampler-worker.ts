/**
 * Body of a SamplerPool worker thread: one in-process Sampler that answers the pool's messages. Loaded through
 * ./sampler-worker-boot.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type GenerateOptions, Sampler, type SamplerModel, type SamplerOptions } from './sampler';

/** Messages from the pool. */
export type PoolRequest =
  | { id: number; kind: 'generate'; prompts: number[][]; options: GenerateOptions }
  | { id: number; kind: 'setWeights'; weights: SamplerModel['weights'] }
  | { id: number; kind: 'ready' }
  | { id: number; kind: 'release' };

/** Replies to the pool (`error` set when the request failed). */
export interface PoolReply {
  id: number;
  result?: unknown;
  error?: string;
}

const port = parentPort;
if (!port) throw new Error('sampler-worker: not running in a worker thread');
const init = workerData as { model: SamplerModel; options: SamplerOptions };
const ready = Sampler.create(init.model, init.options);
// a failed start is reported on the first request
ready.catch(() => undefined);

port.on('message', async (req: PoolRequest) => {
  const reply: PoolReply = { id: req.id };
  try {
    const sampler = await ready;
    if (req.kind === 'generate') reply.result = await sampler.generate(req.prompts, req.options);
    else if (req.kind === 'setWeights') await sampler.setWeights(req.weights);
    else if (req.kind === 'release') await sampler.release();
  } catch (e) {
    reply.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  }
  port.postMessage(reply);
});
