-- The two hot paths of labeling as one statement each: claiming a task and submitting a ranking. They run the same
-- steps, in the same lock order, with the same checks as the multi-statement transactions they replace in
-- lib/domain/claim-next-task.ts and submit-ranking.ts (see lib/domain/README.md, "Labeling under concurrency"):
--
--   1. the round's advisory lock, shared (class 'hone' = 1752133221, key hashtext(round id)),
--   2. assignment rows, 3. task rows, 4. the round row (counters), and the audit event in the same transaction.
--
-- One round trip instead of eight to twelve: under 200 concurrent labelers the per-statement cost of the client
-- (not Postgres) dominated. Each function runs inside its caller's statement, i.e. one transaction; in READ
-- COMMITTED every statement inside a VOLATILE plpgsql function takes a fresh snapshot, so "lock the round, then
-- re-read its status" still sees a close that committed while we waited for the lock. Results are jsonb with an
-- `outcome`; the TypeScript verbs turn every outcome other than success into the same AppError as before.

-- ------------------------------------------------------------------------------------------------ claim a task

CREATE OR REPLACE FUNCTION hone_claim_task(
  p_labeler_id text,
  p_experiment_ids text[],      -- NULL: every experiment
  p_now timestamptz,
  p_assignment_id text,         -- id for a new assignment (UUIDv7 from the caller)
  p_check_expired boolean       -- false right after the caller swept
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_disabled boolean;
  v_held text;
  rd record;
  v_status text;
  v_task text;
  v_expires timestamptz;
BEGIN
  -- Expired claims go back to the pool before anything is handed out: when there are any, the caller sweeps them
  -- (releaseExpiredAssignments, its own transaction) and calls again. Almost always there are none.
  IF p_check_expired AND EXISTS (SELECT 1 FROM "TaskAssignment" WHERE "status" = 'active' AND "expiresAt" <= p_now) THEN
    RETURN jsonb_build_object('outcome', 'sweep_first');
  END IF;
  -- Serialises one labeler's claims (two browser tabs), so the "not seen before" check below cannot race.
  SELECT "disabled" INTO v_disabled FROM "Labeler" WHERE "id" = p_labeler_id FOR UPDATE;
  IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'labeler_not_found'); END IF;
  IF v_disabled THEN RETURN jsonb_build_object('outcome', 'labeler_disabled'); END IF;

  SELECT a."id" INTO v_held FROM "TaskAssignment" a
    JOIN "RankingTask" t ON t."id" = a."taskId" JOIN "Round" r ON r."id" = t."roundId"
    WHERE a."labelerId" = p_labeler_id AND a."status" = 'active' AND a."expiresAt" > p_now
      AND t."status" = 'open' AND r."status" IN ('open', 'paused')
      AND (p_experiment_ids IS NULL OR r."experimentId" = ANY (p_experiment_ids))
    ORDER BY a."assignedAt" LIMIT 1;
  IF v_held IS NOT NULL THEN RETURN jsonb_build_object('outcome', 'resumed', 'task', hone_task_view(v_held)); END IF;

  FOR rd IN
    SELECT r."id", r."assignmentTtlMs", r."experimentId", r."index" FROM "Round" r
    WHERE r."status" = 'open' AND (r."deadline" IS NULL OR r."deadline" > p_now)
      AND (p_experiment_ids IS NULL OR r."experimentId" = ANY (p_experiment_ids))
    ORDER BY r."openedAt", r."id"
  LOOP
    -- Being closed right now: skip it rather than wait.
    CONTINUE WHEN NOT pg_try_advisory_xact_lock_shared(1752133221, hashtext(rd."id"));
    -- Re-read under the lock: a close that committed meanwhile is visible to this new statement.
    SELECT "status"::text INTO v_status FROM "Round" WHERE "id" = rd."id";
    CONTINUE WHEN v_status IS DISTINCT FROM 'open';
    SELECT t."id" INTO v_task FROM "RankingTask" t
      WHERE t."roundId" = rd."id" AND t."status" = 'open' AND t."assignedLabels" < t."requiredLabels"
        AND NOT EXISTS (SELECT 1 FROM "TaskAssignment" a WHERE a."taskId" = t."id" AND a."labelerId" = p_labeler_id)
      ORDER BY t."position" LIMIT 1
      FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN v_task IS NULL;
    v_expires := p_now + rd."assignmentTtlMs" * interval '1 millisecond';
    INSERT INTO "TaskAssignment" ("id", "taskId", "labelerId", "status", "assignedAt", "expiresAt")
      VALUES (p_assignment_id, v_task, p_labeler_id, 'active', p_now, v_expires);
    -- CHECKed assignedLabels <= requiredLabels: a task can never be over-assigned.
    UPDATE "RankingTask" SET "assignedLabels" = "assignedLabels" + 1, "updatedAt" = p_now WHERE "id" = v_task;
    INSERT INTO "AuditEvent" ("experimentId", "actor", "action", "subjectType", "subjectId", "data")
      VALUES (rd."experimentId", 'labeler:' || p_labeler_id, 'task.assigned', 'task', v_task,
        jsonb_build_object('assignmentId', p_assignment_id, 'roundIndex', rd."index" - 1,
          'expiresAt', to_char(v_expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
    RETURN jsonb_build_object('outcome', 'claimed', 'task', hone_task_view(p_assignment_id));
  END LOOP;
  RETURN jsonb_build_object('outcome', 'none');
END;
$$;

-- What a labeler sees of an assignment: the task, its prompt, and the completions keyed by sample id (the caller
-- orders them by the task's sampleIds). Same query as lib/domain/labeling-task-view.ts.
CREATE OR REPLACE FUNCTION hone_task_view(p_assignment_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'assignmentId', a."id", 'assignedAt', a."assignedAt", 'expiresAt', a."expiresAt", 'taskId', t."id", 'sampleIds', to_jsonb(t."sampleIds"),
    'requiredLabels', t."requiredLabels", 'experimentId', r."experimentId", 'roundNumber', r."index",
    'promptId', p."id", 'promptKey', p."key", 'promptText', p."text",
    'completions', (SELECT jsonb_object_agg(s."id", s."completion") FROM "Sample" s WHERE s."id" = ANY (t."sampleIds")))
  FROM "TaskAssignment" a
  JOIN "RankingTask" t ON t."id" = a."taskId" JOIN "Round" r ON r."id" = t."roundId" JOIN "Prompt" p ON p."id" = t."promptId"
  WHERE a."id" = p_assignment_id
$$;

-- ------------------------------------------------------------------------------------------------ submit a ranking

CREATE OR REPLACE FUNCTION hone_submit_ranking(
  p_task_id text,
  p_labeler_id text,
  p_scope text[],               -- NULL: every experiment
  p_ordering text[],            -- flat, best first (tie groups with their ids sorted)
  p_ties jsonb,                 -- groups of two or more, e.g. [["a","b"]]
  p_groups int,                 -- number of groups in the submitted ordering
  p_quality int,
  p_flags jsonb,
  p_note text,
  p_duration_ms int,
  p_client_request_id text,
  p_now timestamptz,
  p_ranking_id text             -- id for a new ranking (UUIDv7 from the caller)
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t record;
  v_base jsonb;
  v_status text;
  v_close_reason text;
  v_existing "Ranking";
  v_new "Ranking";
  v_assignment record;
  c record;
BEGIN
  SELECT tk."id", tk."sampleIds", tk."roundId", r."index" AS round_number, r."experimentId" AS experiment_id, e."workflowId" AS workflow_id
    INTO t
    FROM "RankingTask" tk JOIN "Round" r ON r."id" = tk."roundId" JOIN "Experiment" e ON e."id" = r."experimentId"
    WHERE tk."id" = p_task_id;
  IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'not_found'); END IF;
  IF p_scope IS NOT NULL AND NOT (t.experiment_id = ANY (p_scope)) THEN
    RETURN jsonb_build_object('outcome', 'forbidden_scope', 'experimentId', t.experiment_id);
  END IF;
  -- Exactly the task's K samples, each once, and at least two groups when K > 1 (the caller words the error).
  IF (SELECT array_agg(x ORDER BY x) FROM unnest(p_ordering) AS x) IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM unnest(t."sampleIds") AS x)
     OR (p_groups = 1 AND cardinality(t."sampleIds") > 1) THEN
    RETURN jsonb_build_object('outcome', 'bad_ordering', 'sampleIds', to_jsonb(t."sampleIds"));
  END IF;
  v_base := jsonb_build_object('experimentId', t.experiment_id, 'workflowId', t.workflow_id, 'roundNumber', t.round_number, 'k', cardinality(t."sampleIds"));

  -- A replay (same content) or a conflict (different content) is decided before anything else, also for a closed round.
  SELECT * INTO v_existing FROM "Ranking" WHERE "taskId" = p_task_id AND "labelerId" = p_labeler_id;
  IF FOUND THEN RETURN hone_ranking_replay(v_base, v_existing, t."roundId", p_ordering, p_ties, p_quality, p_flags, p_note); END IF;

  PERFORM pg_advisory_xact_lock_shared(1752133221, hashtext(t."roundId"));
  -- A new statement after the lock: it sees a close that committed while we waited.
  SELECT "status"::text, "closeReason" INTO v_status, v_close_reason FROM "Round" WHERE "id" = t."roundId";
  IF v_status = 'closed' THEN RETURN v_base || jsonb_build_object('outcome', 'round_closed', 'closeReason', v_close_reason); END IF;
  IF v_status = 'pending' THEN RETURN v_base || jsonb_build_object('outcome', 'round_pending'); END IF;

  -- Row lock on the assignment: a concurrent duplicate of this submission waits here, then finds it submitted.
  UPDATE "TaskAssignment" SET "status" = 'submitted', "completedAt" = p_now
    WHERE "taskId" = p_task_id AND "labelerId" = p_labeler_id AND "status" = 'active';
  IF NOT FOUND THEN
    SELECT * INTO v_existing FROM "Ranking" WHERE "taskId" = p_task_id AND "labelerId" = p_labeler_id;
    IF FOUND THEN RETURN hone_ranking_replay(v_base, v_existing, t."roundId", p_ordering, p_ties, p_quality, p_flags, p_note); END IF;
    SELECT "status"::text AS status, "expiresAt" INTO v_assignment FROM "TaskAssignment" WHERE "taskId" = p_task_id AND "labelerId" = p_labeler_id;
    IF NOT FOUND THEN RETURN v_base || jsonb_build_object('outcome', 'not_assigned'); END IF;
    RETURN v_base || jsonb_build_object('outcome', 'assignment_gone', 'assignmentStatus', v_assignment.status, 'expiresAt', v_assignment."expiresAt");
  END IF;

  INSERT INTO "Ranking" ("id", "taskId", "labelerId", "ordering", "ties", "quality", "flags", "note", "durationMs", "clientRequestId", "submittedAt")
    VALUES (p_ranking_id, p_task_id, p_labeler_id, p_ordering, p_ties, p_quality, p_flags, p_note, p_duration_ms, p_client_request_id, p_now)
    ON CONFLICT ("taskId", "labelerId") DO NOTHING
    RETURNING * INTO v_new;
  IF NOT FOUND THEN
    -- Belt and braces: if two submissions ever raced past the assignment lock, the unique index decides. Roll the
    -- statement back; the caller calls again and gets the replay or the conflict.
    RAISE unique_violation USING MESSAGE = 'hone_submit_ranking: a ranking of this task by this labeler was stored concurrently';
  END IF;

  -- The task's and the round's counters in one statement (lock order: task, then round).
  WITH tk AS (
    UPDATE "RankingTask" SET "completedLabels" = "completedLabels" + 1,
      "status" = CASE WHEN "completedLabels" + 1 >= "requiredLabels" THEN 'complete'::"RankingTaskStatus" ELSE "status" END,
      "updatedAt" = p_now
    WHERE "id" = p_task_id
    RETURNING ("completedLabels" >= "requiredLabels") AS done
  )
  UPDATE "Round" SET "rankingsReceived" = "rankingsReceived" + 1,
    "tasksCompleted" = "tasksCompleted" + (SELECT CASE WHEN done THEN 1 ELSE 0 END FROM tk),
    "updatedAt" = p_now
  WHERE "id" = t."roundId"
  RETURNING (SELECT done FROM tk) AS task_completed, "tasksTotal", "tasksCompleted", "rankingsReceived", "quorum" INTO c;

  INSERT INTO "AuditEvent" ("experimentId", "actor", "action", "subjectType", "subjectId", "data")
    VALUES (t.experiment_id, 'labeler:' || p_labeler_id, 'ranking.submitted', 'ranking', v_new."id",
      jsonb_build_object('taskId', p_task_id, 'roundIndex', t.round_number - 1, 'k', cardinality(t."sampleIds"), 'quality', p_quality,
        'ties', jsonb_array_length(p_ties), 'taskCompleted', c.task_completed, 'clientRequestId', p_client_request_id));

  RETURN v_base || jsonb_build_object('outcome', 'stored', 'ranking', to_jsonb(v_new), 'taskCompleted', c.task_completed,
    'counts', jsonb_build_object('taskCount', c."tasksTotal", 'completedTasks', c."tasksCompleted", 'rankings', c."rankingsReceived", 'quorum', c."quorum"));
END;
$$;

-- The answer to a repeated submission: the stored ranking if the content is the same (a retry), else a conflict.
-- Content = ordering, ties, quality, flags, note (jsonb equality ignores key order, like the canonical JSON it replaces).
CREATE OR REPLACE FUNCTION hone_ranking_replay(
  p_base jsonb, p_existing "Ranking", p_round_id text,
  p_ordering text[], p_ties jsonb, p_quality int, p_flags jsonb, p_note text
) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  r record;
BEGIN
  IF p_existing."ordering" IS DISTINCT FROM p_ordering OR p_existing."ties" IS DISTINCT FROM p_ties OR p_existing."quality" IS DISTINCT FROM p_quality
     OR p_existing."flags" IS DISTINCT FROM p_flags OR p_existing."note" IS DISTINCT FROM p_note THEN
    RETURN p_base || jsonb_build_object('outcome', 'conflict', 'ranking', to_jsonb(p_existing));
  END IF;
  SELECT "tasksTotal", "tasksCompleted", "rankingsReceived", "quorum" INTO r FROM "Round" WHERE "id" = p_round_id;
  RETURN p_base || jsonb_build_object('outcome', 'replay', 'ranking', to_jsonb(p_existing),
    'counts', jsonb_build_object('taskCount', r."tasksTotal", 'completedTasks', r."tasksCompleted", 'rankings', r."rankingsReceived", 'quorum', r."quorum"));
END;
$$;
