/**
 * What must hold for a finished experiment however often its processes died: every record once, counters equal to
 * the rows they count, every artifact once with its bytes and lineage intact. Returns problems as sentences (empty
 * = intact) plus the facts they were derived from, so a failing test says exactly what broke.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Db } from '../../lib/db';

export interface IntegrityFacts {
  rounds: { index: number; status: string; closeReason: string | null; tasksTotal: number; tasksCompleted: number; rankingsReceived: number; quorum: number; samples: number; rankings: number }[];
  artifacts: number;
  artifactsByKind: Record<string, number>;
  /** `ppo/iter/<name>` rows per round: steps present (each once, by the unique index). */
  ppoIterationSteps: Record<number, number[]>;
}

export interface IntegrityReport {
  problems: string[];
  facts: IntegrityFacts;
}

/** Files under a file artifact store's root, as keys (the store's sidecars and temporary files left out). */
function storedKeys(root: string): { keys: string[]; temporary: string[] } {
  const keys: string[] = [];
  const temporary: string[] = [];
  const walk = (dir: string, prefix: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.hone-meta' && prefix === '') continue;
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), rel);
      else if (/^\..*\.tmp-[0-9a-f]+$/.test(e.name)) temporary.push(rel);
      else keys.push(rel);
    }
  };
  walk(root, '');
  return { keys, temporary };
}

/**
 * Checks one finished experiment. `completionsPerPrompt` is the spec's K; `ppoIterations` the spec's
 * `ppo.iterations` (every iteration of every round must have its metric rows). `artifactsRoot` is the file store's
 * root folder.
 */
export async function checkExperimentIntegrity(db: Db, experimentId: string, opts: { completionsPerPrompt: number; ppoIterations: number; artifactsRoot: string }): Promise<IntegrityReport> {
  const problems: string[] = [];
  const exp = await db.experiment.findUniqueOrThrow({ where: { id: experimentId }, include: { rounds: { orderBy: { index: 'asc' } } } });
  if (exp.status !== 'completed') problems.push(`experiment status is ${exp.status}, not completed (error: ${exp.error ?? 'none'})`);
  if (exp.rounds.length !== exp.roundsPlanned) problems.push(`${exp.rounds.length} rounds recorded, ${exp.roundsPlanned} planned`);

  // ------------------------------------------------------------------------------------------------ labeling
  const rounds: IntegrityFacts['rounds'] = [];
  for (const r of exp.rounds) {
    const samples = await db.sample.count({ where: { roundId: r.id } });
    const rankings = await db.ranking.count({ where: { task: { roundId: r.id } } });
    const tasks = await db.rankingTask.findMany({ where: { roundId: r.id }, select: { id: true, status: true, completedLabels: true, requiredLabels: true, _count: { select: { rankings: true } } } });
    rounds.push({ index: r.index, status: r.status, closeReason: r.closeReason, tasksTotal: r.tasksTotal, tasksCompleted: r.tasksCompleted, rankingsReceived: r.rankingsReceived, quorum: r.quorum, samples, rankings });
    const at = `round ${r.index}`;
    if (r.status !== 'closed') problems.push(`${at} is ${r.status}, not closed`);
    if (r.closeReason !== 'quorum') problems.push(`${at} closed by ${r.closeReason}, not quorum`);
    if (tasks.length !== r.tasksTotal) problems.push(`${at}: ${tasks.length} ranking tasks, Round.tasksTotal says ${r.tasksTotal}`);
    if (samples !== r.tasksTotal * opts.completionsPerPrompt) problems.push(`${at}: ${samples} samples, expected ${r.tasksTotal} tasks × ${opts.completionsPerPrompt}`);
    if (rankings !== r.rankingsReceived) problems.push(`${at}: ${rankings} ranking rows, Round.rankingsReceived says ${r.rankingsReceived}`);
    const complete = tasks.filter((t) => t.status === 'complete').length;
    if (complete !== r.tasksCompleted) problems.push(`${at}: ${complete} complete tasks, Round.tasksCompleted says ${r.tasksCompleted}`);
    if (r.tasksCompleted < r.quorum) problems.push(`${at}: ${r.tasksCompleted} completed tasks, below the quorum of ${r.quorum}`);
    for (const t of tasks) {
      if (t._count.rankings !== t.completedLabels) problems.push(`${at}: task ${t.id} has ${t._count.rankings} rankings, RankingTask.completedLabels says ${t.completedLabels}`);
      if (t.completedLabels > t.requiredLabels) problems.push(`${at}: task ${t.id} has ${t.completedLabels} labels, more than the ${t.requiredLabels} it needs`);
    }
  }
  const [dupRankings] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (SELECT rk."taskId", rk."labelerId" FROM "Ranking" rk JOIN "RankingTask" t ON t.id = rk."taskId" JOIN "Round" r ON r.id = t."roundId"
      WHERE r."experimentId" = ${experimentId} GROUP BY 1, 2 HAVING count(*) > 1) d`;
  if (dupRankings.n > 0) problems.push(`${dupRankings.n} (task, labeler) pairs hold more than one ranking`);
  const rankingRows = rounds.reduce((n, r) => n + r.rankings, 0);
  const submittedEvents = await db.auditEvent.count({ where: { experimentId, action: 'ranking.submitted' } });
  if (submittedEvents !== rankingRows) problems.push(`${submittedEvents} ranking.submitted audit events for ${rankingRows} rankings`);

  // ------------------------------------------------------------------------------------------------ artifacts
  const artifacts = await db.artifact.findMany({ where: { experimentId }, include: { parents: true } });
  const byId = new Map(artifacts.map((a) => [a.id, a]));
  const byKind: Record<string, number> = {};
  for (const a of artifacts) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  const registeredEvents = await db.auditEvent.count({ where: { experimentId, action: 'artifact.registered' } });
  if (registeredEvents !== artifacts.length) problems.push(`${registeredEvents} artifact.registered audit events for ${artifacts.length} artifacts`);
  const perRound = (kind: string) => {
    if ((byKind[kind] ?? 0) !== exp.rounds.length) problems.push(`${byKind[kind] ?? 0} ${kind} artifacts for ${exp.rounds.length} rounds`);
  };
  for (const kind of ['samples', 'rankings', 'reward_model', 'evaluation']) perRound(kind);
  if ((byKind.report ?? 0) !== 1) problems.push(`${byKind.report ?? 0} report artifacts, expected 1`);

  const rootUri = `file://${path.resolve(opts.artifactsRoot)}/`;
  for (const a of artifacts) {
    if (!a.uri.startsWith(rootUri)) {
      problems.push(`artifact ${a.key} lives at ${a.uri}, outside the store ${rootUri}`);
      continue;
    }
    const file = path.join(opts.artifactsRoot, ...a.uri.slice(rootUri.length).split('/'));
    if (!fs.existsSync(file)) {
      problems.push(`artifact ${a.key}: its bytes are missing (${file})`);
      continue;
    }
    const body = fs.readFileSync(file);
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== a.sha256 || BigInt(body.length) !== a.bytes) problems.push(`artifact ${a.key}: stored bytes (sha256 ${sha}, ${body.length} B) differ from the record (${a.sha256}, ${a.bytes} B)`);
    for (const p of a.parents) if (!byId.has(p.parentId) && !(await db.artifact.count({ where: { id: p.parentId } }))) problems.push(`artifact ${a.key}: parent ${p.parentId} (${p.role}) does not exist`);
  }
  // Every object in the store is a registered artifact: no second copy written by a retried attempt.
  const registeredKeys = new Set(artifacts.map((a) => a.key));
  const store = storedKeys(opts.artifactsRoot);
  const orphans = store.keys.filter((k) => !registeredKeys.has(k));
  if (orphans.length > 0) problems.push(`objects in the artifact store that no record names: ${orphans.join(', ')}`);

  // Lineage of what training produced (PPO): each policy from its round's start policy, the reference, the reward
  // model and its final trainer state; each checkpoint from the one before it (or the start policy).
  const sft = artifacts.find((a) => a.key.endsWith('/prepare/prepare-policy/policy'));
  if (!sft) problems.push('no SFT policy artifact (<workflow>/prepare/prepare-policy/policy)');
  for (const p of artifacts.filter((a) => a.kind === 'policy' && a.id !== sft?.id)) {
    const roles = p.parents.map((e) => `${e.role}:${byId.get(e.parentId)?.kind ?? '?'}`).sort();
    const want = ['init:policy', 'reference:policy', 'reward_model:reward_model', 'state:ppo_checkpoint'];
    if (JSON.stringify(roles) !== JSON.stringify(want)) problems.push(`policy ${p.key} has parents ${roles.join(', ')}, expected ${want.join(', ')}`);
  }
  for (const c of artifacts.filter((a) => a.kind === 'ppo_checkpoint')) {
    const prev = c.parents.filter((e) => e.role === 'resumed_from' || e.role === 'init');
    if (prev.length !== 1) problems.push(`checkpoint ${c.key} has ${prev.length} resumed_from/init parents, expected 1`);
  }

  // ------------------------------------------------------------------------------------------------ metrics
  // Every PPO iteration of every round left its per-iteration metrics, each exactly once.
  const iterRows = await db.metric.findMany({ where: { experimentId, name: { startsWith: 'ppo/iter/' } }, select: { round: true, name: true, step: true } });
  const ppoIterationSteps: Record<number, number[]> = {};
  const names = new Set(iterRows.map((m) => m.name));
  for (const r of exp.rounds) {
    const steps = [...new Set(iterRows.filter((m) => m.round === r.index).map((m) => m.step))].sort((a, b) => a - b);
    ppoIterationSteps[r.index] = steps;
    const want = Array.from({ length: opts.ppoIterations }, (_, i) => i + 1);
    if (JSON.stringify(steps) !== JSON.stringify(want)) problems.push(`round ${r.index}: ppo/iter metrics at iterations [${steps.join(', ')}], expected [${want.join(', ')}]`);
    for (const name of names) {
      const n = iterRows.filter((m) => m.round === r.index && m.name === name).length;
      if (n !== opts.ppoIterations) problems.push(`round ${r.index}: ${n} rows of ${name}, expected ${opts.ppoIterations}`);
    }
  }
  if (names.size === 0) problems.push('no ppo/iter metrics at all');
  const [dupMetrics] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM "Metric" WHERE "experimentId" = ${experimentId} GROUP BY round, name, step HAVING count(*) > 1) d`;
  if (dupMetrics.n > 0) problems.push(`${dupMetrics.n} metric (round, name, step) triples are recorded more than once`);

  const finalized = await db.auditEvent.count({ where: { experimentId, action: 'experiment.finalized' } });
  if (finalized !== 1) problems.push(`${finalized} experiment.finalized audit events, expected 1`);
  for (const r of exp.rounds) {
    const closed = await db.auditEvent.count({ where: { experimentId, action: 'round.closed', subjectId: r.id } });
    if (closed !== 1) problems.push(`round ${r.index}: ${closed} round.closed audit events, expected 1`);
  }

  return { problems, facts: { rounds, artifacts: artifacts.length, artifactsByKind: byKind, ppoIterationSteps } };
}
