import { z } from 'zod';
import { validateArtifactKey } from '../artifacts';
import { recordAudit } from '../audit';
import type { Db, Prisma, Tx } from '../db';
import { AppError } from '../errors';
import { parseInput } from './internal/parse-input';
import { runTransaction } from './internal/run-transaction';
import { artifactView, type ArtifactView } from './views';

const inputSchema = z.strictObject({
  /** Store key (derived from workflow + activity ids); the artifact's identity. */
  key: z.string().min(1).max(512),
  uri: z.string().regex(/^(file:\/\/\/|s3:\/\/)\S+$/, { error: 'must be a file:/// or s3:// URI' }).max(2048),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' }),
  bytes: z.union([z.int().min(0), z.bigint().min(0n)]),
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { error: 'must be a lowercase word such as policy, reward_model, samples, report' }),
  metadata: z.record(z.string(), z.unknown()).optional(),
  parents: z.array(z.strictObject({ artifactId: z.string().min(1), role: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { error: 'must be a lowercase word such as init, reference, data' }) })).max(1000).optional(),
  experimentId: z.string().min(1).nullable().optional(),
  /** The producing activity, e.g. `<workflowId>/<activityType>#<activityId>`. */
  createdByActivity: z.string().max(1024).nullable().optional(),
  /** Actor for the audit trail. */
  createdBy: z.string().trim().min(1),
});
export type RegisterArtifactInput = z.input<typeof inputSchema>;

export interface RegisterArtifactResult {
  artifact: ArtifactView;
  /** false when the key was registered before with the same content (a retried activity). */
  created: boolean;
}

/**
 * Records an artifact (bytes already in the store) with its lineage edges and an `artifact.registered` audit event.
 * Idempotent by key: the same key with the same sha256, size and parents returns the existing row
 * (`created: false`); the same key with different content or parents is a CONFLICT. Parents must exist.
 */
export async function registerArtifact(db: Db, input: RegisterArtifactInput): Promise<RegisterArtifactResult> {
  return runTransaction(db, (tx) => registerArtifactInTx(tx, input));
}

/** {@link registerArtifact} inside an existing transaction. */
export async function registerArtifactInTx(tx: Tx, input: RegisterArtifactInput): Promise<RegisterArtifactResult> {
  const a = parseInput(inputSchema, input, 'artifact');
  validateArtifactKey(a.key);
  const bytes = BigInt(a.bytes);
  const parents = dedupeParents(a.parents ?? []);
  if (parents.length > 0) {
    const ids = [...new Set(parents.map((p) => p.artifactId))];
    const found = await tx.artifact.findMany({ where: { id: { in: ids } }, select: { id: true } });
    const missing = ids.filter((id) => !found.some((f) => f.id === id));
    if (missing.length > 0) throw new AppError('NOT_FOUND', `parent artifact${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found`, { missing });
  }
  if (a.experimentId) {
    const exists = await tx.experiment.count({ where: { id: a.experimentId } });
    if (!exists) throw new AppError('NOT_FOUND', `experiment ${a.experimentId} not found`, { experimentId: a.experimentId });
  }

  // ON CONFLICT DO NOTHING: a concurrent registration of the same key waits for ours and then finds it.
  const inserted = await tx.artifact.createManyAndReturn({
    data: [{ key: a.key, uri: a.uri, sha256: a.sha256, bytes, kind: a.kind, metadata: (a.metadata ?? {}) as Prisma.InputJsonObject, experimentId: a.experimentId ?? null, createdByActivity: a.createdByActivity ?? null }],
    skipDuplicates: true,
  });
  if (inserted.length === 0) {
    const existing = await tx.artifact.findUniqueOrThrow({ where: { key: a.key }, include: { parents: true } });
    const stored = existing.parents.map((p) => ({ artifactId: p.parentId, role: p.role }));
    const problems: string[] = [];
    if (existing.sha256 !== a.sha256) problems.push(`sha256 ${existing.sha256} ≠ ${a.sha256}`);
    if (existing.bytes !== bytes) problems.push(`bytes ${existing.bytes} ≠ ${bytes}`);
    if (existing.uri !== a.uri) problems.push(`uri ${existing.uri} ≠ ${a.uri}`);
    if (parentKey(stored) !== parentKey(parents)) problems.push('different parents');
    if (problems.length > 0) {
      throw new AppError('CONFLICT', `artifact key ${a.key} is already registered with different content (${problems.join('; ')}); artifacts are write-once — use a new key`, {
        key: a.key,
        artifactId: existing.id,
        existingSha256: existing.sha256,
      });
    }
    return { artifact: artifactView(existing, stored), created: false };
  }
  const artifact = inserted[0];
  if (parents.length > 0) await tx.artifactEdge.createMany({ data: parents.map((p) => ({ childId: artifact.id, parentId: p.artifactId, role: p.role })) });
  await recordAudit(tx, {
    experimentId: artifact.experimentId,
    actor: a.createdBy,
    action: 'artifact.registered',
    subject: { type: 'artifact', id: artifact.id },
    data: { key: a.key, kind: a.kind, sha256: a.sha256, bytes: Number(bytes), parents: parents.map((p) => ({ artifactId: p.artifactId, role: p.role })), createdByActivity: a.createdByActivity ?? null },
  });
  return { artifact: artifactView(artifact, parents), created: true };
}

function dedupeParents(ps: { artifactId: string; role: string }[]): { artifactId: string; role: string }[] {
  const seen = new Map<string, { artifactId: string; role: string }>();
  for (const p of ps) seen.set(`${p.artifactId}\u0000${p.role}`, p);
  return [...seen.values()];
}

function parentKey(ps: { artifactId: string; role: string }[]): string {
  return ps
    .map((p) => `${p.artifactId}\u0000${p.role}`)
    .sort()
    .join('\u0001');
}
