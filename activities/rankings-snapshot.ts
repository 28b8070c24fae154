import { getRankingsForTraining, type TrainingRanking } from '../lib/domain';
import { permanentFailure } from './activity-failure';
import { storeArtifact, type StoredArtifact } from './artifact-io';
import type { ResolvedActivityDeps } from './activity-deps';

interface RankingsDocument {
  format: 'hone.rankings.v1';
  experimentId: string;
  uptoRoundIndex: number;
  rankings: TrainingRanking[];
}

/**
 * Freezes every ranking of rounds 0..r as an artifact (parents: the sample sets they rank), so a trained model's
 * lineage reaches the human judgements it learned from, and a retry trains on exactly the same set.
 * INSUFFICIENT_RANKINGS (permanent) when there is none.
 */
export async function snapshotRankings(
  deps: ResolvedActivityDeps,
  args: { experimentId: string; roundIndex: number; key: string; idempotencyKey: string; actor: string },
): Promise<{ artifact: StoredArtifact; rankings: TrainingRanking[] }> {
  const existing = await deps.db.artifact.findUnique({ where: { key: args.key } });
  let doc: RankingsDocument;
  let artifact: StoredArtifact;
  if (existing) {
    doc = JSON.parse((await deps.artifacts.get(existing.uri)).toString('utf8')) as RankingsDocument;
    artifact = { id: existing.id, key: existing.key, kind: existing.kind, uri: existing.uri, sha256: existing.sha256, bytes: Number(existing.bytes), summary: {} };
  } else {
    const rankings = await getRankingsForTraining(deps.db, { experimentId: args.experimentId, uptoRound: args.roundIndex });
    if (rankings.length === 0) {
      throw permanentFailure('INSUFFICIENT_RANKINGS', `experiment ${args.experimentId} has no rankings in rounds 0..${args.roundIndex}; nothing to learn from (was every round closed before anyone labeled?)`);
    }
    const samples = await deps.db.artifact.findMany({ where: { experimentId: args.experimentId, kind: 'samples' }, select: { id: true, metadata: true } });
    const parents = samples
      .filter((s) => Number(((s.metadata as { summary?: { roundIndex?: number } }).summary ?? {}).roundIndex) <= args.roundIndex)
      .map((s) => ({ artifactId: s.id, role: 'data' }));
    const body: RankingsDocument = { format: 'hone.rankings.v1', experimentId: args.experimentId, uptoRoundIndex: args.roundIndex, rankings };
    const stored = await storeArtifact(
      deps,
      {
        key: args.key,
        kind: 'rankings',
        experimentId: args.experimentId,
        parents,
        createdByActivity: args.idempotencyKey,
        actor: args.actor,
        contentType: 'application/json',
        summary: { uptoRoundIndex: args.roundIndex, rankings: rankings.length },
      },
      Buffer.from(JSON.stringify(body), 'utf8'),
    );
    artifact = stored.artifact;
    doc = stored.adopted ? (JSON.parse(Buffer.from(stored.body).toString('utf8')) as RankingsDocument) : body;
  }
  const rankings = doc.rankings.map((r) => ({ ...r, submittedAt: new Date(r.submittedAt) }));
  return { artifact, rankings };
}
