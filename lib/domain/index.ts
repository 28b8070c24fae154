/**
 * hone's domain verbs: one per file, named after its export. The HTTP API, the CLI and the activities call these
 * and nothing else to change records; each multi-row write runs in one transaction with its audit event, and bad
 * input or state is an `AppError` (lib/errors). Round indexes are 0-based (see views.ts).
 */
// experiments
export { createExperiment, type CreateExperimentInput, type CreatedExperiment } from './create-experiment';
export { listExperiments, type ListExperimentsInput, type ExperimentPage } from './list-experiments';
export { getExperiment } from './get-experiment';
export { setExperimentStatus, EXPERIMENT_TRANSITIONS, type SetExperimentStatusInput, type SetExperimentStatusResult } from './set-experiment-status';
export { recordRoundSummary, type RecordRoundSummaryInput, type RecordRoundSummaryResult } from './record-round-summary';
export { roundSummaryMetrics, type MetricPoint, type RoundSummary } from './round-summary-metrics';
export { finalizeExperiment, buildExperimentReport, reportKey, type FinalizeExperimentInput } from './finalize-experiment';
export { getAuditTrail, type AuditEntry, type AuditTrail } from './get-audit-trail';
export { recordSteering, type SteeringAction } from './record-steering';
export { listRounds } from './list-rounds';
export { listMetrics, type MetricView } from './list-metrics';
// artifacts
export { registerArtifact, type RegisterArtifactInput, type RegisterArtifactResult } from './register-artifact';
export { getArtifact, type ArtifactDetailView } from './get-artifact';
export { getLineage, type Lineage, type LineageEdge } from './get-lineage';
export { listArtifacts } from './list-artifacts';
// samples and labeling
export { storeSamples, type StoreSamplesInput, type StoreSamplesResult } from './store-samples';
export { openLabelingRound, type OpenLabelingRoundInput, type OpenLabelingRoundResult } from './open-labeling-round';
export { claimNextTask, type ClaimNextTaskInput, type ClaimedTask } from './claim-next-task';
export { submitRanking, rankingFieldsSchema, rankingView, type SubmitRankingInput, type SubmitRankingResult, type RankingView, type RoundCounts } from './submit-ranking';
export { countRankings } from './count-rankings';
export { listOpenRoundCounts, type OpenRoundCount } from './list-open-round-counts';
export { closeLabelingRound, type CloseLabelingRoundInput, type CloseLabelingRoundResult } from './close-labeling-round';
export { releaseExpiredAssignments } from './release-expired-assignments';
export { roundProgress, type RoundProgress, type LabelerThroughput } from './round-progress';
export { labelingAgreement, agreementOf, INSTRUCTGPT_AGREEMENT, type LabelingAgreement } from './labeling-agreement';
export { krippendorffAlpha, pairwiseAgreement, midRanks, type AlphaMetric, type DoublyRanked, type PairwiseAgreement } from './agreement-stats';
export { getRankingsForTraining, type TrainingRanking } from './get-rankings-for-training';
export { normalizeOrdering, groupedOrdering, type RankingOrdering } from './ranking-ordering';
export type { LabelingTaskView } from './labeling-task-view';
// labelers
export { createLabeler, scopesSchema, type CreateLabelerInput, type LabelerWithToken } from './create-labeler';
export { disableLabeler } from './disable-labeler';
export { rotateToken } from './rotate-token';
export { authenticate } from './authenticate';
export { listLabelers, type LabelerStats } from './list-labelers';
export { ensureAdminToken, adminTokenPath, type EnsureAdminTokenResult } from './ensure-admin-token';
export type { LabelerView } from './labeler-view';
// shapes
export { roundIndexOf, roundNumber } from './views';
export type { ArtifactView, ExperimentDetailView, ExperimentView, RoundView, ArtifactParentRef, ExperimentStatusName } from './views';
export type { ExperimentScope } from './internal/scope-filter';
export { parseInput, formatPath } from './internal/parse-input';
export { idSchema, textSchema } from './internal/schemas';
