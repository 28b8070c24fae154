-- Audit events are append-only: the database itself rejects UPDATE, DELETE and TRUNCATE on "AuditEvent", whoever
-- the client is. (Prisma does not model triggers or CHECK constraints; they live here and survive later diffs.)
CREATE FUNCTION hone_audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AuditEvent is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'Record a new event instead of changing an old one.';
END;
$$;

CREATE TRIGGER "AuditEvent_append_only_row"
  BEFORE UPDATE OR DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION hone_audit_event_append_only();

CREATE TRIGGER "AuditEvent_append_only_truncate"
  BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION hone_audit_event_append_only();

-- Domain invariants the API validates too; here they hold for every writer.
ALTER TABLE "Ranking" ADD CONSTRAINT "Ranking_quality_range" CHECK ("quality" BETWEEN 1 AND 7);
ALTER TABLE "RankingTask" ADD CONSTRAINT "RankingTask_requiredLabels_range" CHECK ("requiredLabels" IN (1, 2));
ALTER TABLE "RankingTask" ADD CONSTRAINT "RankingTask_completedLabels_range" CHECK ("completedLabels" BETWEEN 0 AND "requiredLabels");
ALTER TABLE "Round" ADD CONSTRAINT "Round_counts_nonnegative" CHECK ("quorum" >= 0 AND "tasksTotal" >= 0 AND "tasksCompleted" >= 0 AND "rankingsReceived" >= 0);
ALTER TABLE "Round" ADD CONSTRAINT "Round_overlap_range" CHECK ("overlap" >= 0 AND "overlap" <= 1);
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_sha256_hex" CHECK ("sha256" ~ '^[0-9a-f]{64}$');
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_bytes_nonnegative" CHECK ("bytes" >= 0);
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_tokenHash_hex" CHECK ("tokenHash" ~ '^[0-9a-f]{64}$');
