/** `hone help`. */
export const HELP = `hone — RLHF experiments as durable Temporal workflows

Usage: hone <command> [arguments] [--json]

Run it
  up                      start embedded Postgres, the Temporal dev server (+ Web UI), the API and a worker,
                          in the foreground; Ctrl-C stops all. Flags: --no-worker --no-api --no-ui
                          --queues control,train --api-port N --temporal-port N --ui-port N --pg-port N
  demo                    up + specs/demo.yaml + simulated labelers to completion (~5 min on 2 cores;
                          --spec specs/demo-quick.yaml: < 1 min); prints a summary and one JSON line.
                          Flags: --spec file --labelers N --noise x --keep-running, and up's flags
  worker                  a worker process only (--queues control,train); joins a running \`hone up\`
  server                  the API only; joins a running \`hone up --no-api\`
  migrate [--status]      apply the committed database migrations to DATABASE_URL (deployments; \`up\` does it itself)

Experiments
  run <spec.yaml>         launch an experiment (--watch to follow it, --no-start to only record it)
  status [id]             phase, round, labeling and training progress, last metrics (--watch, --interval s)
  pause|resume|cancel <id> [--reason text]
  extend <id> <n>         add n rounds
  close-round <id>        end the open labeling round now (--round index guards against a stale request)
  audit <id>              the timeline (who did what when) and artifacts with their lineage (--all)

Labeling
  labelers create <name> [--admin] [--experiment id]...   (prints the token once)
  labelers list [--experiment id]
  labelers disable <id-or-name>
  label --simulate [--experiment id] [--labelers N] [--noise 0.1] [--seed n]

Read commands take --json. The CLI talks to the API at HONE_API_URL, else the one \`hone up\` runs for the data
folder (HONE_DATA_DIR, default ./.hone), else http://127.0.0.1:8787, with the admin token from HONE_TOKEN or
<data folder>/admin-token. External services: DATABASE_URL (Postgres), TEMPORAL_ADDRESS (+ TEMPORAL_NAMESPACE),
HONE_ARTIFACTS=s3://bucket/prefix (+ HONE_S3_ENDPOINT, AWS_* credentials) — each replaces its embedded piece.
`;
