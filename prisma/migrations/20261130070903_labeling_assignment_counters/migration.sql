-- DropIndex
DROP INDEX "RankingTask_roundId_status_idx";

-- AlterTable
ALTER TABLE "Ranking" ADD COLUMN     "clientRequestId" TEXT,
ADD COLUMN     "note" TEXT;

-- AlterTable
ALTER TABLE "RankingTask" ADD COLUMN     "assignedLabels" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "position" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Round" ADD COLUMN     "assignmentTtlMs" INTEGER NOT NULL DEFAULT 1800000,
ADD COLUMN     "seed" INTEGER;

-- CreateTable
CREATE TABLE "IdempotencyRecord" (
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "experimentId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyRecord_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "IdempotencyRecord_experimentId_idx" ON "IdempotencyRecord"("experimentId");

-- CreateIndex
CREATE INDEX "RankingTask_roundId_status_position_idx" ON "RankingTask"("roundId", "status", "position");

