-- CreateEnum
CREATE TYPE "ExperimentStatus" AS ENUM ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "RoundStatus" AS ENUM ('pending', 'open', 'paused', 'closed');

-- CreateEnum
CREATE TYPE "RankingTaskStatus" AS ENUM ('open', 'complete', 'cancelled');

-- CreateEnum
CREATE TYPE "AssignmentStatus" AS ENUM ('active', 'submitted', 'expired', 'released');

-- CreateEnum
CREATE TYPE "LabelerRole" AS ENUM ('admin', 'labeler');

-- CreateTable
CREATE TABLE "Experiment" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "specYaml" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "status" "ExperimentStatus" NOT NULL DEFAULT 'pending',
    "workflowId" TEXT,
    "seed" INTEGER NOT NULL,
    "roundsPlanned" INTEGER NOT NULL,
    "currentRound" INTEGER NOT NULL DEFAULT 0,
    "createdBy" TEXT NOT NULL,
    "error" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Experiment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Round" (
    "id" TEXT NOT NULL,
    "experimentId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "status" "RoundStatus" NOT NULL DEFAULT 'pending',
    "quorum" INTEGER NOT NULL,
    "deadline" TIMESTAMPTZ(3),
    "overlap" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "closeReason" TEXT,
    "tasksTotal" INTEGER NOT NULL DEFAULT 0,
    "tasksCompleted" INTEGER NOT NULL DEFAULT 0,
    "rankingsReceived" INTEGER NOT NULL DEFAULT 0,
    "policyArtifactId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "openedAt" TIMESTAMPTZ(3),
    "closedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Round_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Prompt" (
    "id" TEXT NOT NULL,
    "experimentId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "split" TEXT NOT NULL DEFAULT 'train',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Prompt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sample" (
    "id" TEXT NOT NULL,
    "promptId" TEXT NOT NULL,
    "roundId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "completion" TEXT NOT NULL,
    "tokenCount" INTEGER NOT NULL,
    "logprob" DOUBLE PRECISION,
    "policyArtifactId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Sample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RankingTask" (
    "id" TEXT NOT NULL,
    "roundId" TEXT NOT NULL,
    "promptId" TEXT NOT NULL,
    "sampleIds" TEXT[],
    "requiredLabels" INTEGER NOT NULL DEFAULT 1,
    "completedLabels" INTEGER NOT NULL DEFAULT 0,
    "status" "RankingTaskStatus" NOT NULL DEFAULT 'open',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "RankingTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskAssignment" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "labelerId" TEXT NOT NULL,
    "status" "AssignmentStatus" NOT NULL DEFAULT 'active',
    "assignedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "completedAt" TIMESTAMPTZ(3),

    CONSTRAINT "TaskAssignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Ranking" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "labelerId" TEXT NOT NULL,
    "ordering" TEXT[],
    "ties" JSONB NOT NULL DEFAULT '[]',
    "quality" INTEGER NOT NULL,
    "flags" JSONB NOT NULL DEFAULT '{}',
    "durationMs" INTEGER,
    "submittedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Ranking_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Labeler" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "LabelerRole" NOT NULL DEFAULT 'labeler',
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Labeler_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "labelerId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scopes" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "uri" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "experimentId" TEXT,
    "createdByActivity" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ArtifactEdge" (
    "childId" TEXT NOT NULL,
    "parentId" TEXT NOT NULL,
    "role" TEXT NOT NULL,

    CONSTRAINT "ArtifactEdge_pkey" PRIMARY KEY ("childId","parentId","role")
);

-- CreateTable
CREATE TABLE "Metric" (
    "id" TEXT NOT NULL,
    "experimentId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Metric_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" BIGSERIAL NOT NULL,
    "experimentId" TEXT,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Experiment_workflowId_key" ON "Experiment"("workflowId");

-- CreateIndex
CREATE INDEX "Experiment_status_createdAt_idx" ON "Experiment"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Experiment_createdAt_idx" ON "Experiment"("createdAt");

-- CreateIndex
CREATE INDEX "Round_status_idx" ON "Round"("status");

-- CreateIndex
CREATE UNIQUE INDEX "Round_experimentId_index_key" ON "Round"("experimentId", "index");

-- CreateIndex
CREATE UNIQUE INDEX "Prompt_experimentId_key_key" ON "Prompt"("experimentId", "key");

-- CreateIndex
CREATE INDEX "Sample_promptId_idx" ON "Sample"("promptId");

-- CreateIndex
CREATE UNIQUE INDEX "Sample_roundId_promptId_index_key" ON "Sample"("roundId", "promptId", "index");

-- CreateIndex
CREATE INDEX "RankingTask_roundId_status_idx" ON "RankingTask"("roundId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "RankingTask_roundId_promptId_key" ON "RankingTask"("roundId", "promptId");

-- CreateIndex
CREATE INDEX "TaskAssignment_labelerId_status_idx" ON "TaskAssignment"("labelerId", "status");

-- CreateIndex
CREATE INDEX "TaskAssignment_status_expiresAt_idx" ON "TaskAssignment"("status", "expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "TaskAssignment_taskId_labelerId_key" ON "TaskAssignment"("taskId", "labelerId");

-- CreateIndex
CREATE INDEX "Ranking_labelerId_submittedAt_idx" ON "Ranking"("labelerId", "submittedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Ranking_taskId_labelerId_key" ON "Ranking"("taskId", "labelerId");

-- CreateIndex
CREATE UNIQUE INDEX "Labeler_name_key" ON "Labeler"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_labelerId_idx" ON "ApiToken"("labelerId");

-- CreateIndex
CREATE UNIQUE INDEX "Artifact_key_key" ON "Artifact"("key");

-- CreateIndex
CREATE INDEX "Artifact_experimentId_kind_idx" ON "Artifact"("experimentId", "kind");

-- CreateIndex
CREATE INDEX "Artifact_sha256_idx" ON "Artifact"("sha256");

-- CreateIndex
CREATE INDEX "ArtifactEdge_parentId_idx" ON "ArtifactEdge"("parentId");

-- CreateIndex
CREATE INDEX "Metric_experimentId_name_idx" ON "Metric"("experimentId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Metric_experimentId_round_name_step_key" ON "Metric"("experimentId", "round", "name", "step");

-- CreateIndex
CREATE INDEX "AuditEvent_experimentId_id_idx" ON "AuditEvent"("experimentId", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_subjectType_subjectId_idx" ON "AuditEvent"("subjectType", "subjectId");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- AddForeignKey
ALTER TABLE "Round" ADD CONSTRAINT "Round_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Round" ADD CONSTRAINT "Round_policyArtifactId_fkey" FOREIGN KEY ("policyArtifactId") REFERENCES "Artifact"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prompt" ADD CONSTRAINT "Prompt_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_promptId_fkey" FOREIGN KEY ("promptId") REFERENCES "Prompt"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_policyArtifactId_fkey" FOREIGN KEY ("policyArtifactId") REFERENCES "Artifact"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RankingTask" ADD CONSTRAINT "RankingTask_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RankingTask" ADD CONSTRAINT "RankingTask_promptId_fkey" FOREIGN KEY ("promptId") REFERENCES "Prompt"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskAssignment" ADD CONSTRAINT "TaskAssignment_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "RankingTask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskAssignment" ADD CONSTRAINT "TaskAssignment_labelerId_fkey" FOREIGN KEY ("labelerId") REFERENCES "Labeler"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ranking" ADD CONSTRAINT "Ranking_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "RankingTask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ranking" ADD CONSTRAINT "Ranking_labelerId_fkey" FOREIGN KEY ("labelerId") REFERENCES "Labeler"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_labelerId_fkey" FOREIGN KEY ("labelerId") REFERENCES "Labeler"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ArtifactEdge" ADD CONSTRAINT "ArtifactEdge_childId_fkey" FOREIGN KEY ("childId") REFERENCES "Artifact"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ArtifactEdge" ADD CONSTRAINT "ArtifactEdge_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Artifact"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Metric" ADD CONSTRAINT "Metric_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE SET NULL ON UPDATE CASCADE;
