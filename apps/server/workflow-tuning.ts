import { AppError } from '../../lib/errors';
import { DEFAULT_TUNING, type ExperimentTuning } from '../../workflows/experiment-contract';

/**
 * HONE_WORKFLOW_TUNING: a JSON object of operational timings given to the workflows the API starts, e.g.
 * `{"heartbeatTimeoutMs":5000}` so a killed worker is noticed in 5 s instead of 60 s (durability tests, impatient
 * demos). Keys are those of `ExperimentTuning`; values positive integers. Unset = production defaults.
 * Read by every process that serves the API: `hone up` (the API inside it) and `hone server` (apps/server/main.ts).
 */
export function workflowTuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ExperimentTuning> | undefined {
  const raw = env.HONE_WORKFLOW_TUNING?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppError('CONFIG_INVALID', `HONE_WORKFLOW_TUNING must be a JSON object such as {"heartbeatTimeoutMs":5000} (got ${JSON.stringify(raw)})`, { variable: 'HONE_WORKFLOW_TUNING' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError('CONFIG_INVALID', 'HONE_WORKFLOW_TUNING must be a JSON object', { variable: 'HONE_WORKFLOW_TUNING' });
  const out: Partial<ExperimentTuning> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!(k in DEFAULT_TUNING)) throw new AppError('CONFIG_INVALID', `HONE_WORKFLOW_TUNING: unknown key ${JSON.stringify(k)} (known: ${Object.keys(DEFAULT_TUNING).join(', ')})`, { variable: 'HONE_WORKFLOW_TUNING' });
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new AppError('CONFIG_INVALID', `HONE_WORKFLOW_TUNING: ${k} must be a positive integer (got ${JSON.stringify(v)})`, { variable: 'HONE_WORKFLOW_TUNING' });
    out[k as keyof ExperimentTuning] = v;
  }
  return out;
}
