/**
 * `npm run db:migration:new -- <name> [--empty]` — writes prisma/migrations/<timestamp>_<name>/migration.sql from
 * the difference between the committed migrations and prisma/schema.prisma, then proves it: applies all migrations
 * to a fresh database and checks that nothing differs from the schema any more.
 *
 * Why not `prisma migrate dev --name`: with the offline Wasm schema engine (6.19.3) it creates the first migration
 * but fails on every later one ("PostgreSQL shadow DB must be provided through an external factory" while it
 * evaluates data loss; `--create-only` ends in "null pointer passed to rust"). `migrate diff` and `migrate deploy`
 * work. `--empty` writes an empty migration for hand-written SQL (triggers, CHECK constraints, data fixes).
 *
 * Runs on a throw-away embedded Postgres, so it needs no DATABASE_URL and touches no real database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPrismaCli } from '../lib/db/prisma-cli';
import { migrateDeploy } from '../lib/db/migrate';
import { projectRoot } from '../lib/services/project-root';
import { startEmbeddedPostgres } from '../lib/services/embedded-postgres';
import { Client } from 'pg';

function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const empty = args.includes('--empty');
  const name = args.find((a) => !a.startsWith('--'));
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error('usage: npm run db:migration:new -- <snake_case_name> [--empty]');
  const root = projectRoot();
  const migrations = path.join(root, 'prisma', 'migrations');
  const schema = path.join(root, 'prisma', 'schema.prisma');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-migration-'));
  fs.chmodSync(tmp, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: tmp, fsync: false });
  try {
    let sql = '-- Write the SQL of this migration here.\n';
    if (!empty) {
      const diff = await runPrismaCli(['migrate', 'diff', '--from-migrations', migrations, '--to-schema-datamodel', schema, '--script'], pg.url);
      if (diff.code !== 0) throw new Error(`prisma migrate diff failed:\n${diff.stderr}`);
      sql = diff.stdout;
      if (!sql.trim() || /^-- This is an empty migration\.\s*$/.test(sql.trim())) {
        console.error('No schema changes: prisma/schema.prisma matches the migrations. (Use --empty for a hand-written migration.)');
        return;
      }
    }
    const dir = path.join(migrations, `${timestamp()}_${name}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
    console.error(`wrote ${path.relative(root, dir)}/migration.sql`);
    if (empty) return;

    // Prove it: every migration applies to a fresh database and leaves no difference to the schema.
    const admin = new Client({ connectionString: pg.urlFor('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE hone_verify');
    await admin.end();
    await migrateDeploy(pg.urlFor('hone_verify'));
    const check = await runPrismaCli(['migrate', 'diff', '--from-migrations', migrations, '--to-schema-datamodel', schema, '--exit-code'], pg.urlFor('hone_verify'));
    if (check.code !== 0) throw new Error(`the new migration does not bring the database to the schema:\n${check.stdout}${check.stderr}`);
    console.error('verified: all migrations apply to a fresh database and match prisma/schema.prisma');
  } finally {
    await pg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
