/**
 * The shapes verbs return: plain objects (dates as Date, byte counts as bigint), stable for the API, CLI and
 * activities. Round numbering: `roundIndex` is 0-based everywhere in code (as in the workflow contract);
 * `round` is the 1-based number people see. The database stores the 1-based number (Round.index, Metric.round,
 * Experiment.currentRound; 0 there means "before the first round").
 */
import type { Artifact, Experiment, Round } from '../db/generated/client';

/** 1-based round number stored in Round.index / Metric.round for a 0-based round index. */
export function roundNumber(roundIndex: number): number {
  return roundIndex + 1;
}

/** 0-based round index for a stored 1-based round number. */
export function roundIndexOf(roundNumberStored: number): number {
  return roundNumberStored - 1;
}

export type ExperimentStatusName = Experiment['status'];

export interface ExperimentView {
  id: string;
  name: string;
  status: ExperimentStatusName;
  workflowId: string | null;
  seed: number;
  roundsPlanned: number;
  /** 1-based number of the round in progress; 0 while preparing. */
  currentRound: number;
  createdBy: string;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ExperimentDetailView extends ExperimentView {
  specYaml: string;
  /** The validated spec with defaults (durations in ms). */
  spec: unknown;
  rounds: RoundView[];
}

export function experimentView(e: Experiment): ExperimentView {
  return {
    id: e.id,
    name: e.name,
    status: e.status,
    workflowId: e.workflowId,
    seed: e.seed,
    roundsPlanned: e.roundsPlanned,
    currentRound: e.currentRound,
    createdBy: e.createdBy,
    error: e.error,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
  };
}

export interface RoundView {
  id: string;
  experimentId: string;
  /** 0-based, as in the workflow contract. */
  roundIndex: number;
  /** 1-based, for people. */
  round: number;
  status: Round['status'];
  quorum: number;
  deadline: Date | null;
  overlap: number;
  closeReason: string | null;
  tasksTotal: number;
  tasksCompleted: number;
  rankingsReceived: number;
  assignmentTtlMs: number;
  policyArtifactId: string | null;
  createdAt: Date;
  openedAt: Date | null;
  closedAt: Date | null;
}

export function roundView(r: Round): RoundView {
  return {
    id: r.id,
    experimentId: r.experimentId,
    roundIndex: roundIndexOf(r.index),
    round: r.index,
    status: r.status,
    quorum: r.quorum,
    deadline: r.deadline,
    overlap: r.overlap,
    closeReason: r.closeReason,
    tasksTotal: r.tasksTotal,
    tasksCompleted: r.tasksCompleted,
    rankingsReceived: r.rankingsReceived,
    assignmentTtlMs: r.assignmentTtlMs,
    policyArtifactId: r.policyArtifactId,
    createdAt: r.createdAt,
    openedAt: r.openedAt,
    closedAt: r.closedAt,
  };
}

export interface ArtifactParentRef {
  artifactId: string;
  role: string;
}

export interface ArtifactView {
  id: string;
  key: string;
  kind: string;
  uri: string;
  sha256: string;
  bytes: bigint;
  metadata: unknown;
  experimentId: string | null;
  createdByActivity: string | null;
  createdAt: Date;
  /** The artifacts this one was made from. */
  parents: ArtifactParentRef[];
}

export function artifactView(a: Artifact, parents: ArtifactParentRef[]): ArtifactView {
  return {
    id: a.id,
    key: a.key,
    kind: a.kind,
    uri: a.uri,
    sha256: a.sha256,
    bytes: a.bytes,
    metadata: a.metadata,
    experimentId: a.experimentId,
    createdByActivity: a.createdByActivity,
    createdAt: a.createdAt,
    parents: [...parents].sort((x, y) => (x.role + x.artifactId < y.role + y.artifactId ? -1 : 1)),
  };
}
