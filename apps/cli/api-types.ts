/** The shapes of the API answers the CLI reads (see apps/server/schemas.ts; only the fields used here). */
import type { ExperimentStatus } from '../../workflows/experiment-contract';

export interface ExperimentRow {
  id: string;
  name: string;
  status: 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
  workflowId: string | null;
  seed: number;
  roundsPlanned: number;
  currentRound: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RoundRow {
  id: string;
  roundIndex: number;
  status: string;
  quorum: number;
  deadline: string | null;
  tasksTotal: number;
  tasksCompleted: number;
  rankingsReceived: number;
  closeReason: string | null;
}

export interface ExperimentDetail {
  experiment: ExperimentRow & { spec: Record<string, unknown>; specYaml: string; rounds: RoundRow[] };
  live: ExperimentStatus | null;
  liveError?: string;
  temporalUiUrl?: string;
}

export interface MetricRow {
  round: number;
  name: string;
  step: number;
  value: number;
  at: string;
}

export interface ArtifactRow {
  id: string;
  kind: string;
  key: string;
  uri: string;
  sha256: string;
  bytes: number | string;
  createdAt: string;
  createdByActivity?: string | null;
  parents?: { artifactId: string; role: string }[];
}

export interface AuditEventRow {
  id: string | number;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  subject: { type: string; id: string };
  data: Record<string, unknown>;
}

export interface AuditTrailAnswer {
  experiment: ExperimentRow;
  events: AuditEventRow[];
  nextAfterId: string | number | null;
  artifacts: ArtifactRow[];
  edges: { childId: string; parentId: string; role: string }[];
}

export interface LabelerRow {
  id: string;
  name: string;
  role: 'admin' | 'labeler';
  disabled: boolean;
  createdAt: string;
}

export interface LabelingTask {
  taskId: string;
  experimentId: string;
  roundIndex: number;
  k: number;
  prompt: { id: string; key: string; text: string };
  samples: { id: string; text: string }[];
}
