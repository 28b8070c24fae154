/** HONE_ENGINE_MODULE entry for the scripted engine (CLI and worker tests): `HONE_SCRIPTED_STEP_MS` slows its steps. */
import { ScriptedEngine } from './scripted-engine';

export function createEngine(): ScriptedEngine {
  return new ScriptedEngine({ stepDelayMs: Number(process.env.HONE_SCRIPTED_STEP_MS ?? 0) });
}
