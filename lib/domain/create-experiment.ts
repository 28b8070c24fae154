import { recordAudit } from '../audit';
import type { Db, Prisma } from '../db';
import { AppError } from '../errors';
import { SpecError, parseSpec, specHash, type ExperimentSpec } from '../spec';
import { runTransaction } from './internal/run-transaction';
import { uuidV7 } from './internal/uuid-v7';
import { experimentView, type ExperimentView } from './views';

export interface CreateExperimentInput {
  /** The spec as written: YAML (JSON is YAML too). Stored verbatim beside its parsed form. */
  specYaml: string;
  /** Actor who launched it, e.g. `labeler:<id>` or `cli`. */
  createdBy: string;
  /** The Temporal workflow id the experiment will run under, derived from its id (the contract's id scheme). */
  workflowIdFor?: (experimentId: string) => string;
  /** Names the spec in error messages (default `spec`). */
  source?: string;
}

export interface CreatedExperiment {
  experiment: ExperimentView;
  spec: ExperimentSpec;
  specHash: string;
}

/**
 * Validates a spec and records a new experiment in status `pending` (its workflow is started by the caller), with
 * an `experiment.created` audit event in the same transaction. An invalid spec is `VALIDATION_FAILED` with every
 * problem in `details.issues` (path, message, line).
 */
export async function createExperiment(db: Db, input: CreateExperimentInput): Promise<CreatedExperiment> {
  if (typeof input.specYaml !== 'string' || input.specYaml.trim() === '') throw new AppError('VALIDATION_FAILED', 'spec is empty: at least `name: <experiment-name>` is required');
  if (!input.createdBy?.trim()) throw new AppError('VALIDATION_FAILED', 'createdBy (the actor launching the experiment) is required');
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(input.specYaml, { source: input.source ?? 'spec' });
  } catch (e) {
    if (e instanceof SpecError) throw new AppError('VALIDATION_FAILED', e.message, { issues: e.issues.map((i) => ({ ...i })) }, { cause: e });
    throw e;
  }
  const id = uuidV7();
  const hash = specHash(spec);
  const workflowId = input.workflowIdFor?.(id) ?? null;
  const row = await runTransaction(db, async (tx) => {
    const created = await tx.experiment.create({
      data: {
        id,
        name: spec.name,
        specYaml: input.specYaml,
        spec: spec as unknown as Prisma.InputJsonValue,
        status: 'pending',
        workflowId,
        seed: spec.seed,
        roundsPlanned: spec.rounds.count,
        createdBy: input.createdBy,
      },
    });
    await recordAudit(tx, {
      experimentId: id,
      actor: input.createdBy,
      action: 'experiment.created',
      subject: { type: 'experiment', id },
      data: { name: spec.name, specHash: hash, rounds: spec.rounds.count, trainer: spec.trainer, workflowId },
    });
    return created;
  });
  return { experiment: experimentView(row), spec, specHash: hash };
}
