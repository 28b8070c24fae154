/**
 * The zod schemas of the HTTP API: requests (which validate every call; objects are strict, so unknown fields are
 * errors) and responses (which document them). The OpenAPI document is generated from these same schemas.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../lib/errors';
import { idSchema, rankingFieldsSchema, scopesSchema, textSchema } from '../../lib/domain';

// ------------------------------------------------------------------------------------------------ building blocks

const intString = (what: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `${what} must be a non-negative integer` })
    .transform(Number);
const dt = z.iso.datetime();
const experimentStatus = z.enum(['pending', 'running', 'paused', 'completed', 'failed', 'cancelled']);

export const errorSchema = z.object({
  error: z.object({ code: z.enum(ERROR_CODES as [string, ...string[]]), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

// ------------------------------------------------------------------------------------------------ path and query

export const experimentParams = z.strictObject({ experimentId: idSchema });
export const roundParams = z.strictObject({ experimentId: idSchema, roundIndex: intString('roundIndex') });
export const artifactParams = z.strictObject({ artifactId: idSchema });
export const taskParams = z.strictObject({ taskId: idSchema });
export const labelerParams = z.strictObject({ labelerId: idSchema });

export const listExperimentsQuery = z.strictObject({ status: experimentStatus.optional(), limit: intString('limit').optional(), cursor: idSchema.optional() });
export const metricsQuery = z.strictObject({
  prefix: z.string().regex(/^[a-z0-9_/]{1,64}$/, { error: 'must be a metric name prefix such as eval/' }).optional(),
  name: z.string().regex(/^[a-z0-9_/]{1,128}$/, { error: 'must be a metric name such as eval/win_rate' }).optional(),
});
export const auditQuery = z.strictObject({ afterId: z.string().regex(/^\d{1,18}$/, { error: 'must be an event id' }).optional(), limit: intString('limit').optional() });
export const nextTaskQuery = z.strictObject({ experimentId: idSchema.optional() });
export const submitQuery = z.strictObject({
  /** `true`: after storing, claim the caller's next task and return it in the same response (saves a round trip). */
  next: z.enum(['true', 'false']).optional(),
  /** With `next`: only tasks of this experiment. */
  experimentId: idSchema.optional(),
});
export const labelersQuery = z.strictObject({ experimentId: idSchema.optional() });
export const emptyQuery = z.strictObject({});

// ------------------------------------------------------------------------------------------------ request bodies

export const launchBody = z.strictObject({
  /** The spec as YAML text, or as a JSON object. */
  spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  /** Start the workflow now (default true); false only records the experiment. */
  start: z.boolean().optional(),
});
export const steerBody = z.strictObject({ reason: textSchema(500).optional() });
export const extendRoundsBody = steerBody.extend({ additionalRounds: z.int().min(1).max(1000) });
export const closeRoundBody = steerBody.extend({ roundIndex: z.int().min(0).optional() });
export const rankingBody = rankingFieldsSchema;
export const createLabelerBody = z.strictObject({ name: textSchema(100), role: z.enum(['admin', 'labeler']), scopes: scopesSchema.optional() });
export const rotateTokenBody = z.strictObject({ scopes: scopesSchema.optional() });

// ------------------------------------------------------------------------------------------------ responses

export const experimentSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: experimentStatus,
  workflowId: z.string().nullable(),
  seed: z.int(),
  roundsPlanned: z.int(),
  currentRound: z.int().describe('1-based round in progress; 0 while preparing'),
  createdBy: z.string(),
  error: z.string().nullable(),
  createdAt: dt,
  updatedAt: dt,
  startedAt: dt.nullable(),
  finishedAt: dt.nullable(),
});

export const roundSchema = z.object({
  id: z.string(),
  experimentId: z.string(),
  roundIndex: z.int().describe('0-based'),
  round: z.int().describe('1-based'),
  status: z.enum(['pending', 'open', 'paused', 'closed']),
  quorum: z.int(),
  deadline: dt.nullable(),
  overlap: z.number(),
  closeReason: z.string().nullable(),
  tasksTotal: z.int(),
  tasksCompleted: z.int(),
  rankingsReceived: z.int(),
  assignmentTtlMs: z.int(),
  policyArtifactId: z.string().nullable(),
  createdAt: dt,
  openedAt: dt.nullable(),
  closedAt: dt.nullable(),
});

export const liveStatusSchema = z.looseObject({
  phase: z.string(),
  round: z.int(),
  roundIndex: z.int(),
  roundsTotal: z.int(),
  paused: z.boolean(),
  cancelRequested: z.boolean(),
  progress: z.looseObject({}),
});

export const experimentDetailSchema = z.object({
  experiment: experimentSchema.extend({ specYaml: z.string(), spec: z.record(z.string(), z.unknown()), rounds: z.array(roundSchema) }),
  live: liveStatusSchema.nullable().describe("the workflow's status query, or null when it did not answer in time"),
  liveError: z.string().optional(),
  temporalUiUrl: z.string().optional(),
});

export const launchResponse = z.object({ experiment: experimentSchema, specHash: z.string(), workflowId: z.string(), runId: z.string().nullable(), started: z.boolean() });
export const experimentPage = z.object({ items: z.array(experimentSchema), nextCursor: z.string().nullable() });
export const steerResponse = z.object({ experimentId: z.string(), action: z.string(), result: z.record(z.string(), z.unknown()) });

export const labelingTaskSchema = z.object({
  taskId: z.string(),
  experimentId: z.string(),
  roundIndex: z.int(),
  round: z.int(),
  k: z.int(),
  requiredLabels: z.int(),
  prompt: z.object({ id: z.string(), key: z.string(), text: z.string() }),
  samples: z.array(z.object({ id: z.string(), text: z.string() })).describe('in the order to show them'),
  assignment: z.object({ id: z.string(), assignedAt: dt, expiresAt: dt }),
  resumed: z.boolean(),
});
export const nextTaskResponse = z.object({ task: labelingTaskSchema.nullable() });

const rankingSchema = z.object({
  id: z.string(),
  taskId: z.string(),
  labelerId: z.string(),
  ordering: z.array(z.union([z.string(), z.array(z.string())])),
  quality: z.int(),
  flags: z.object({ followsInstruction: z.boolean(), hallucination: z.boolean(), harmful: z.boolean() }),
  note: z.string().nullable(),
  durationMs: z.int().nullable(),
  clientRequestId: z.string().nullable(),
  submittedAt: dt,
});
const countsSchema = z.object({ taskCount: z.int(), completedTasks: z.int(), rankings: z.int(), quorum: z.int() });
export const submitResponse = z.object({
  ranking: rankingSchema,
  replayed: z.boolean(),
  roundIndex: z.int(),
  taskCompleted: z.boolean(),
  counts: countsSchema,
  next: z
    .object({ task: labelingTaskSchema.nullable(), error: z.object({ code: z.string(), message: z.string() }).optional() })
    .optional()
    .describe('with ?next=true: the next task (as GET /labeling/next answers), or null; `error` if claiming it failed — the ranking is stored regardless'),
});

export const progressSchema = z.object({
  round: roundSchema,
  done: z.int(),
  quorum: z.int(),
  taskCount: z.int(),
  rankings: z.int(),
  deadline: dt.nullable(),
  quorumProgress: z.number(),
  overlapTasks: z.int(),
  activeAssignments: z.int(),
  perLabeler: z.array(z.object({ labelerId: z.string(), name: z.string(), rankings: z.int(), active: z.int(), expired: z.int(), medianSecondsPerTask: z.number().nullable(), rankingsPerHour: z.number().nullable() })),
});

export const agreementSchema = z.object({
  experimentId: z.string(),
  roundIndex: z.int(),
  tasks: z.int(),
  pairwise: z.object({ agreement: z.number().nullable(), ci95: z.tuple([z.number(), z.number()]).nullable(), pairs: z.int(), agreeingPairs: z.int(), tiePairs: z.int(), tasks: z.int() }),
  krippendorffAlpha: z.object({ value: z.number().nullable(), ci95: z.tuple([z.number(), z.number()]).nullable(), metric: z.literal('interval'), values: z.string(), units: z.int(), bootstrap: z.object({ resamples: z.int(), seed: z.int() }) }),
  reference: z.object({ agreement: z.number(), plusMinus: z.number(), source: z.string() }),
});

export const metricsResponse = z.object({ items: z.array(z.object({ round: z.int(), name: z.string(), step: z.int(), value: z.number(), at: dt })) });

const artifactSchema = z.object({
  id: z.string(),
  key: z.string(),
  kind: z.string(),
  uri: z.string(),
  sha256: z.string(),
  bytes: z.int(),
  metadata: z.unknown(),
  experimentId: z.string().nullable(),
  createdByActivity: z.string().nullable(),
  createdAt: dt,
  parents: z.array(z.object({ artifactId: z.string(), role: z.string() })),
});
const edgeSchema = z.object({ childId: z.string(), parentId: z.string(), role: z.string() });
export const artifactDetailSchema = artifactSchema.extend({ children: z.array(z.object({ artifactId: z.string(), role: z.string() })) });
export const artifactListResponse = z.object({ items: z.array(artifactSchema), edges: z.array(edgeSchema) });
export const lineageSchema = z.object({ rootId: z.string(), nodes: z.array(artifactSchema.extend({ depth: z.int() })), edges: z.array(edgeSchema), truncated: z.boolean() });

export const auditTrailSchema = z.object({
  experiment: experimentSchema,
  events: z.array(z.object({ id: z.int(), at: dt, actor: z.string(), actorName: z.string().nullable(), action: z.string(), subject: z.object({ type: z.string(), id: z.string() }), data: z.unknown() })),
  nextAfterId: z.int().nullable(),
  artifacts: z.array(artifactSchema),
  edges: z.array(edgeSchema),
});

const labelerSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['admin', 'labeler']),
  disabled: z.boolean(),
  createdAt: dt,
  scope: z.union([z.literal('*'), z.array(z.string())]),
  tokenPrefix: z.string().nullable(),
  lastUsedAt: dt.nullable(),
});
export const labelerWithTokenSchema = z.object({ labeler: labelerSchema, token: z.string().describe('shown once; store it now') });
export const labelerListResponse = z.object({
  items: z.array(
    labelerSchema.extend({
      stats: z.object({
        rankings: z.int(),
        activeAssignments: z.int(),
        expiredAssignments: z.int(),
        lastRankingAt: dt.nullable(),
        medianSecondsPerTask: z.number().nullable(),
        rankingsPerHour: z.number().nullable(),
        agreement: z.number().nullable(),
        agreementPairs: z.int(),
      }),
    }),
  ),
});
export const labelerResponse = z.object({ labeler: labelerSchema });
export const meResponse = z.object({ labelerId: z.string(), name: z.string(), role: z.enum(['admin', 'labeler']), scope: z.union([z.literal('*'), z.array(z.string())]), tokenPrefix: z.string() });
export const roundsResponse = z.object({ items: z.array(roundSchema) });
export const healthResponse = z.object({ ok: z.boolean(), database: z.enum(['ok', 'unavailable']), temporal: z.enum(['ok', 'unavailable']) });
