/**
 * The shapes of the hone API's JSON responses, as the UI uses them (the contract is /api/v1/openapi.json, generated
 * from apps/server/schemas.ts; the e2e tests exercise every field the UI reads). Dates are ISO strings.
 */

export type Role = 'admin' | 'labeler';
export type ExperimentStatusName = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
export type RoundStatusName = 'pending' | 'open' | 'paused' | 'closed';

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface Me {
  labelerId: string;
  name: string;
  role: Role;
  scope: '*' | string[];
  tokenPrefix: string;
}

export interface Experiment {
  id: string;
  name: string;
  status: ExperimentStatusName;
  workflowId: string | null;
  seed: number;
  roundsPlanned: number;
  /** 1-based round in progress; 0 while preparing. */
  currentRound: number;
  createdBy: string;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Round {
  id: string;
  experimentId: string;
  roundIndex: number;
  round: number;
  status: RoundStatusName;
  quorum: number;
  deadline: string | null;
  overlap: number;
  closeReason: string | null;
  tasksTotal: number;
  tasksCompleted: number;
  rankingsReceived: number;
  assignmentTtlMs: number;
  policyArtifactId: string | null;
  createdAt: string;
  openedAt: string | null;
  closedAt: string | null;
}

export interface LiveStatus {
  phase: string;
  round: number;
  roundIndex: number;
  roundsTotal: number;
  paused: boolean;
  cancelRequested: boolean;
  progress: {
    rounds?: { completed: number; total: number };
    labels?: { completedTasks: number; quorum: number; taskCount: number; deadlineAt: string; closeRequested: boolean };
    training?: { trainer: 'ppo' | 'dpo'; unit: string; done: number; total: number };
  };
  lastMetrics?: { winRate: number; winRateCi95: [number, number]; klMean: number; rmScore: number };
  updatedAt?: string;
}

export interface ExperimentDetail {
  experiment: Experiment & { specYaml: string; spec: Record<string, unknown>; rounds: Round[] };
  live: LiveStatus | null;
  liveError?: string;
  temporalUiUrl?: string;
}

export interface ExperimentPage {
  items: Experiment[];
  nextCursor: string | null;
}

export interface LabelingTask {
  taskId: string;
  experimentId: string;
  roundIndex: number;
  round: number;
  k: number;
  requiredLabels: number;
  prompt: { id: string; key: string; text: string };
  samples: { id: string; text: string }[];
  assignment: { id: string; assignedAt: string; expiresAt: string };
  resumed: boolean;
}

export interface RoundCounts {
  taskCount: number;
  completedTasks: number;
  rankings: number;
  quorum: number;
}

export interface SubmitResult {
  ranking: { id: string; taskId: string; ordering: (string | string[])[]; quality: number; submittedAt: string };
  replayed: boolean;
  roundIndex: number;
  taskCompleted: boolean;
  counts: RoundCounts;
  /** Present when the request asked for the next task (`?next=true`). */
  next?: { task: LabelingTask | null; error?: { code: string; message: string } };
}

export interface LabelerThroughput {
  labelerId: string;
  name: string;
  rankings: number;
  active: number;
  expired: number;
  medianSecondsPerTask: number | null;
  rankingsPerHour: number | null;
}

export interface RoundProgress {
  round: Round;
  done: number;
  quorum: number;
  taskCount: number;
  rankings: number;
  deadline: string | null;
  quorumProgress: number;
  overlapTasks: number;
  activeAssignments: number;
  perLabeler: LabelerThroughput[];
}

export interface Agreement {
  experimentId: string;
  roundIndex: number;
  tasks: number;
  pairwise: { agreement: number | null; ci95: [number, number] | null; pairs: number; agreeingPairs: number; tiePairs: number; tasks: number };
  krippendorffAlpha: { value: number | null; ci95: [number, number] | null; metric: 'interval'; values: string; units: number; bootstrap: { resamples: number; seed: number } };
  reference: { agreement: number; plusMinus: number; source: string };
}

export interface MetricPoint {
  round: number;
  name: string;
  step: number;
  value: number;
  at: string;
}

export interface Artifact {
  id: string;
  key: string;
  kind: string;
  uri: string;
  sha256: string;
  bytes: number;
  metadata: unknown;
  experimentId: string | null;
  createdByActivity: string | null;
  createdAt: string;
  parents: { artifactId: string; role: string }[];
}

export interface LineageEdge {
  childId: string;
  parentId: string;
  role: string;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  subject: { type: string; id: string };
  data: unknown;
}

export interface AuditTrail {
  experiment: Experiment;
  events: AuditEvent[];
  nextAfterId: number | null;
  artifacts: Artifact[];
  edges: LineageEdge[];
}

export interface Labeler {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  scope: '*' | string[];
  tokenPrefix: string | null;
  lastUsedAt: string | null;
}

export interface LabelerStats {
  rankings: number;
  activeAssignments: number;
  expiredAssignments: number;
  lastRankingAt: string | null;
  medianSecondsPerTask: number | null;
  rankingsPerHour: number | null;
  agreement: number | null;
  agreementPairs: number;
}

export interface LabelerWithStats extends Labeler {
  stats: LabelerStats;
}

export interface LabelerWithToken {
  labeler: Labeler;
  token: string;
}

export interface LaunchResult {
  experiment: Experiment;
  specHash: string;
  workflowId: string;
  runId: string | null;
  started: boolean;
}

export interface SteerResult {
  experimentId: string;
  action: string;
  result: Record<string, unknown>;
}

/** One problem in a rejected spec (`details.issues` of a 400). */
export interface SpecIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}
