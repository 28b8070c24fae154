import path from 'node:path';
import type { ExperimentEngine } from '../../activities';
import { createEngineAdapter } from '../../activities/engine-adapter';
import { AppError } from '../../lib/errors';

export type ClosableEngine = ExperimentEngine & { close?: () => Promise<void> };

/**
 * The engine a `hone-train` worker runs: the built-in one (engine/ through activities/engine-adapter.ts, with the
 * worker's ONNX Runtime thread count), or the module named by HONE_ENGINE_MODULE — any module exporting
 * `createEngine({ ortThreads })` that implements the activities' engine port (another trainer, or a scripted engine
 * in tests).
 */
export async function createEngine(opts: { ortThreads: number }): Promise<ClosableEngine> {
  const override = process.env.HONE_ENGINE_MODULE?.trim();
  if (override) {
    const file = path.resolve(override);
    let mod: { createEngine?: (o: { ortThreads: number }) => Promise<ClosableEngine> | ClosableEngine };
    try {
      mod = require(file) as typeof mod;
    } catch (e) {
      throw new AppError('CONFIG_INVALID', `HONE_ENGINE_MODULE ${file} cannot be loaded: ${(e as Error).message}`);
    }
    if (typeof mod.createEngine !== 'function') throw new AppError('CONFIG_INVALID', `HONE_ENGINE_MODULE ${file} does not export createEngine({ ortThreads })`);
    return mod.createEngine(opts);
  }
  return createEngineAdapter(opts);
}
