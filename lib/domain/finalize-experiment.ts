import { z } from 'zod';
import type { ArtifactStore } from '../artifacts';
import { recordAudit } from '../audit';
import type { Db } from '../db';
import { AppError } from '../errors';
import { specHash, type ExperimentSpec } from '../spec';
import { getLineage } from './get-lineage';
import { parseInput } from './internal/parse-input';
import { idSchema } from './internal/schemas';
import { registerArtifactInTx } from './register-artifact';
import { runTransaction } from './internal/run-transaction';
import { setExperimentStatusInTx } from './set-experiment-status';
import { roundIndexOf } from './views';

const inputSchema = z.strictObject({
  experimentId: idSchema,
  idempotencyKey: z.string().min(1).max(512),
  roundsCompleted: z.int().min(0),
  roundsTotal: z.int().min(0),
  /** The final policy and the frozen reference: the report's lineage parents. */
  policyArtifactId: idSchema,
  referenceArtifactId: idSchema,
  actor: z.string().trim().min(1),
});
export type FinalizeExperimentInput = z.input<typeof inputSchema>;

/** Store key of an experiment's report. */
export function reportKey(experimentId: string): string {
  return `experiments/${experimentId}/report.json`;
}

/**
 * Ends an experiment: writes its report (metrics per round, labeling counts, lineage of the final policy) to the
 * artifact store as JSON, registers it (parents: final policy and reference), and marks the experiment completed,
 * with audit events. Idempotent: the report is deterministic (no wall-clock fields) and keyed by experiment, so a
 * retry finds or rewrites identical bytes, and completing a completed experiment is a no-op.
 */
export async function finalizeExperiment(deps: { db: Db; artifacts: ArtifactStore }, input: FinalizeExperimentInput): Promise<{ reportArtifactId: string; changed: boolean }> {
  const args = parseInput(inputSchema, input, 'finalize request');
  const { db, artifacts } = deps;
  const key = reportKey(args.experimentId);
  let report = await db.artifact.findUnique({ where: { key } });
  if (!report) {
    const body = Buffer.from(JSON.stringify(await buildExperimentReport(db, args), null, 2) + '\n', 'utf8');
    const put = await artifacts.put(key, body, { contentType: 'application/json' });
    const registered = await runTransaction(db, (tx) =>
      registerArtifactInTx(tx, {
        key,
        uri: put.uri,
        sha256: put.sha256,
        bytes: put.bytes,
        kind: 'report',
        experimentId: args.experimentId,
        parents: [
          { artifactId: args.policyArtifactId, role: 'policy' },
          { artifactId: args.referenceArtifactId, role: 'reference' },
        ],
        createdByActivity: args.idempotencyKey,
        createdBy: args.actor,
      }),
    );
    report = await db.artifact.findUniqueOrThrow({ where: { id: registered.artifact.id } });
  }
  const reportArtifactId = report.id;
  const changed = await runTransaction(db, async (tx) => {
    const r = await setExperimentStatusInTx(tx, { experimentId: args.experimentId, status: 'completed', actor: args.actor, reason: 'finalized', idempotencyKey: args.idempotencyKey });
    if (r.changed) {
      await recordAudit(tx, { experimentId: args.experimentId, actor: args.actor, action: 'experiment.finalized', subject: { type: 'artifact', id: reportArtifactId }, data: { roundsCompleted: args.roundsCompleted, roundsTotal: args.roundsTotal } });
    }
    return r.changed;
  });
  return { reportArtifactId, changed };
}

/** The report's content (deterministic for a finished experiment). */
export async function buildExperimentReport(db: Db, args: { experimentId: string; roundsCompleted: number; roundsTotal: number; policyArtifactId: string; referenceArtifactId: string }) {
  const exp = await db.experiment.findUnique({ where: { id: args.experimentId }, include: { rounds: { orderBy: { index: 'asc' } }, metrics: { orderBy: [{ round: 'asc' }, { name: 'asc' }, { step: 'asc' }] } } });
  if (!exp) throw new AppError('NOT_FOUND', `experiment ${args.experimentId} not found`, { experimentId: args.experimentId });
  const lineage = await getLineage(db, args.policyArtifactId);
  return {
    format: 'hone.report.v1',
    experiment: { id: exp.id, name: exp.name, seed: exp.seed, specHash: specHash(exp.spec as unknown as ExperimentSpec), createdBy: exp.createdBy, createdAt: exp.createdAt.toISOString() },
    roundsCompleted: args.roundsCompleted,
    roundsTotal: args.roundsTotal,
    policyArtifactId: args.policyArtifactId,
    referenceArtifactId: args.referenceArtifactId,
    rounds: exp.rounds.map((r) => ({
      roundIndex: roundIndexOf(r.index),
      tasks: r.tasksTotal,
      completedTasks: r.tasksCompleted,
      rankings: r.rankingsReceived,
      quorum: r.quorum,
      closeReason: r.closeReason,
      // Last value of each metric in the round (the round summary's).
      metrics: Object.fromEntries(exp.metrics.filter((m) => m.round === r.index).map((m) => [m.name, m.value])),
    })),
    metrics: exp.metrics.map((m) => ({ round: m.round, name: m.name, step: m.step, value: m.value })),
    lineage: { nodes: lineage.nodes.map((n) => ({ id: n.id, kind: n.kind, key: n.key, sha256: n.sha256, depth: n.depth })), edges: lineage.edges },
  };
}
