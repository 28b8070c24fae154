-- Labeling invariants the domain keeps in its transactions; here they hold for every writer, so a bug (or a race
-- the locking missed) fails loudly instead of over-assigning a task or counting a ranking twice.

-- A task is never held by more labelers than it needs: assignedLabels counts active + submitted assignments.
ALTER TABLE "RankingTask" ADD CONSTRAINT "RankingTask_assignedLabels_range"
  CHECK ("assignedLabels" >= "completedLabels" AND "assignedLabels" <= "requiredLabels");

-- Round counters never exceed what they count.
ALTER TABLE "Round" ADD CONSTRAINT "Round_tasksCompleted_le_total" CHECK ("tasksCompleted" <= "tasksTotal");
ALTER TABLE "Round" ADD CONSTRAINT "Round_assignmentTtl_positive" CHECK ("assignmentTtlMs" > 0);

-- Labeler notes are short remarks, not documents.
ALTER TABLE "Ranking" ADD CONSTRAINT "Ranking_note_length" CHECK ("note" IS NULL OR char_length("note") <= 2000);

ALTER TABLE "IdempotencyRecord" ADD CONSTRAINT "IdempotencyRecord_requestHash_hex" CHECK ("requestHash" ~ '^[0-9a-f]{64}$');
