/**
 * Builders for tests of the domain verbs and the HTTP API (not used by production code): an experiment with a
 * policy artifact, sampled prompts and an open labeling round, made through the verbs themselves.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db';
import { createExperiment } from './create-experiment';
import { createLabeler } from './create-labeler';
import { openLabelingRound } from './open-labeling-round';
import { registerArtifact } from './register-artifact';
import { setExperimentStatus } from './set-experiment-status';
import { storeSamples } from './store-samples';

export interface SeededRound {
  experimentId: string;
  roundId: string;
  roundIndex: number;
  policyArtifactId: string;
  taskCount: number;
  quorum: number;
  overlapTasks: number;
}

export interface SeedOptions {
  prompts?: number;
  k?: number;
  overlap?: number;
  quorum?: number;
  seed?: number;
  roundIndex?: number;
  assignmentTtlMs?: number;
  deadline?: Date;
  /** Reuse an experiment instead of creating one. */
  experimentId?: string;
  name?: string;
}

/** Creates (or reuses) a running experiment and opens round `roundIndex` with `prompts` tasks of K samples each. */
export async function seedLabelingRound(db: Db, o: SeedOptions = {}): Promise<SeededRound> {
  const prompts = o.prompts ?? 6;
  const k = o.k ?? 4;
  const roundIndex = o.roundIndex ?? 0;
  let experimentId = o.experimentId;
  if (!experimentId) {
    const created = await createExperiment(db, { specYaml: `name: ${o.name ?? 'seeded'}\nrounds: { promptsPerRound: ${Math.max(prompts, 1)}, completionsPerPrompt: ${k} }\n`, createdBy: 'test' });
    experimentId = created.experiment.id;
    await setExperimentStatus(db, { experimentId, status: 'running', actor: 'test' });
  }
  const policy = await registerArtifact(db, {
    key: `test/${experimentId}/policy-r${roundIndex}`,
    uri: `file:///tmp/hone-test/${experimentId}/policy-r${roundIndex}`,
    sha256: createHash('sha256').update(`${experimentId}/${roundIndex}`).digest('hex'),
    bytes: 1234,
    kind: 'policy',
    experimentId,
    createdBy: 'test',
  });
  const items = Array.from({ length: prompts }, (_, p) => ({
    prompt: { key: `train/${String(p).padStart(4, '0')}`, text: `Write a sentence about topic ${p}.` },
    completions: Array.from({ length: k }, (_, j) => ({ text: `completion ${j} of prompt ${p} in round ${roundIndex}`, tokens: 5 + j, logprob: -1.5 * (j + 1), policyArtifactId: policy.artifact.id })),
  }));
  await storeSamples(db, { experimentId, roundIndex, items, idempotencyKey: `test/${experimentId}/r${roundIndex}/samples`, actor: 'test' });
  const opened = await openLabelingRound(db, {
    experimentId,
    roundIndex,
    quorum: o.quorum ?? prompts,
    overlapShare: o.overlap ?? 0,
    seed: o.seed ?? 7,
    assignmentTtlMs: o.assignmentTtlMs ?? 60_000,
    deadline: o.deadline ?? new Date(Date.now() + 3_600_000),
    actor: 'test',
  });
  return { experimentId, roundId: opened.roundId, roundIndex, policyArtifactId: policy.artifact.id, taskCount: opened.taskCount, quorum: opened.quorum, overlapTasks: opened.overlapTasks };
}

/** `n` labelers named `<prefix>-<i>`, scoped to everything; returns their ids and tokens. */
export async function seedLabelers(db: Db, n: number, prefix = 'labeler'): Promise<{ id: string; token: string }[]> {
  const out: { id: string; token: string }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await createLabeler(db, { name: `${prefix}-${i}`, role: 'labeler', scopes: '*', actor: 'test' });
    out.push({ id: r.labeler.id, token: r.token });
  }
  return out;
}

/** A best-to-worst ordering of a task's samples by their generation index (the "oracle" of these tests). */
export function orderingBySampleIndex(samples: { id: string; text: string }[]): string[] {
  const idx = (t: string) => Number(/completion (\d+)/.exec(t)?.[1] ?? 0);
  return [...samples].sort((a, b) => idx(a.text) - idx(b.text)).map((s) => s.id);
}

/** Row counts and a content checksum of the tables labeling touches: equal before and after = nothing changed. */
export async function labelingSnapshot(db: Db): Promise<Record<string, string>> {
  const tables = ['Experiment', 'Round', 'Prompt', 'Sample', 'RankingTask', 'TaskAssignment', 'Ranking', 'Labeler', 'ApiToken', 'AuditEvent', 'Artifact', 'ArtifactEdge', 'Metric', 'IdempotencyRecord'];
  const out: Record<string, string> = {};
  for (const t of tables) {
    // lastUsedAt moves on authentication by design; everything else must stay put.
    const cols = t === 'ApiToken' ? `to_jsonb(x) - 'lastUsedAt'` : 'to_jsonb(x)';
    const rows = await db.$queryRawUnsafe<{ n: number; sum: string | null }[]>(
      `SELECT count(*)::int AS n, md5(string_agg((${cols})::text, '|' ORDER BY (${cols})::text)) AS sum FROM "${t}" x`,
    );
    out[t] = `${rows[0].n}:${rows[0].sum ?? '-'}`;
  }
  return out;
}

/** The hex sha256 of a string (for artifact fixtures). */
export function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
