-- Tell listeners (the API's principal cache) at once when what a token grants changes: a labeler disabled or
-- re-enabled, renamed or given another role, a token revoked, expired or re-scoped. NOTIFY is transactional: the
-- message goes out when the change commits, whoever made it (API, CLI, an activity, psql). Payload: the labeler id.

CREATE OR REPLACE FUNCTION hone_notify_auth_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Two statements, not one CASE: plpgsql plans only the branch it runs, and each table lacks the other's column.
  IF TG_TABLE_NAME = 'Labeler' THEN
    PERFORM pg_notify('hone_auth', NEW."id");
  ELSE
    PERFORM pg_notify('hone_auth', NEW."labelerId");
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Labeler_auth_change"
  AFTER UPDATE OF "disabled", "role", "name" ON "Labeler"
  FOR EACH ROW WHEN (OLD."disabled" IS DISTINCT FROM NEW."disabled" OR OLD."role" IS DISTINCT FROM NEW."role" OR OLD."name" IS DISTINCT FROM NEW."name")
  EXECUTE FUNCTION hone_notify_auth_change();

CREATE TRIGGER "ApiToken_auth_change"
  AFTER UPDATE OF "revokedAt", "expiresAt", "scopes", "labelerId" ON "ApiToken"
  FOR EACH ROW WHEN (OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt" OR OLD."expiresAt" IS DISTINCT FROM NEW."expiresAt"
    OR OLD."scopes" IS DISTINCT FROM NEW."scopes" OR OLD."labelerId" IS DISTINCT FROM NEW."labelerId")
  EXECUTE FUNCTION hone_notify_auth_change();
