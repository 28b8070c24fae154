/**
 * Prisma CLI configuration (Prisma 6.19.3), fully offline.
 *
 * The CLI's native schema engine is downloaded from Prisma's host at first use, which these machines cannot
 * reach. With `engine: 'js'` + a driver adapter the CLI uses the Wasm schema engine bundled in the `prisma`
 * package instead; `migrate dev|deploy|status|diff|reset` and `generate` then work with no network.
 * Five workarounds make that engine usable with @prisma/adapter-pg 6.19.3 and PostgreSQL 18 (1, 4 and 5 are
 * DEPENDENCIES.md's 1, 3 and 2; 2 and 3 were found while writing hone's migrations). They apply to the CLI process only: the application's Prisma client (lib/db) needs none of them.
 *
 * `prisma generate` needs no database (see the DATABASE_URL placeholder below).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The CLI loads this file from the repository root; resolve `pg` from here so we patch the very module instance
// that @prisma/adapter-pg uses.
const requireHere = createRequire(path.join(process.cwd(), 'package.json'));

/*
 * Workaround 1 — catalog types. The Wasm schema engine introspects pg_catalog, whose columns use the types
 * `name` (OID 19), `"char"` (18) and `char[]` (1003). adapter-pg 6.19.3 cannot decode them and fails with
 * "Column type 'name' could not be deserialized from the database". They are plain text to us: present them to
 * the adapter as text (25) and text[] (1009) before it looks at the field types.
 */
const CATALOG_TYPES_AS_TEXT: Record<number, number> = { 18: 25, 19: 25, 1003: 1009 };
const PgResult = requireHere('pg/lib/result.js') as { prototype: { addFields(fields: { dataTypeID: number }[]): void } };
const addFields = PgResult.prototype.addFields;
PgResult.prototype.addFields = function patchedAddFields(fields) {
  for (const f of fields) {
    const asText = CATALOG_TYPES_AS_TEXT[f.dataTypeID];
    if (asText !== undefined) f.dataTypeID = asText;
  }
  return addFields.call(this, fields);
};

/*
 * Workaround 2 — the constraints query. The schema engine lists "other" constraints with
 * `SELECT … contype AS constraint_type … WHERE contype NOT IN ('p', 'u', 'f')` and reads constraint_type as a
 * single character: (a) after workaround 1 it arrives as text, and the engine hits `unreachable!()` on any CHECK
 * constraint ("RuntimeError: unreachable"), so re-tag that column as Character; (b) since PostgreSQL 18, NOT NULL
 * constraints are pg_constraint rows too (contype 'n'), which the engine also does not expect: drop them
 * (nullability is read from pg_attribute). Applied to that one query's result, recognised by its column names.
 */
const COLUMN_TYPE_CHARACTER = 6; // ColumnTypeEnum.Character in @prisma/driver-adapter-utils 6.19.3
type Queryable = Awaited<ReturnType<PrismaPg['connect']>>;
function withConstraintQueryFix<T extends Queryable>(adapter: T): T {
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (query) => {
    const rs = await queryRaw(query);
    const at = rs.columnNames.indexOf('constraint_type');
    if (at >= 0 && rs.columnNames.includes('constraint_definition')) {
      rs.columnTypes[at] = COLUMN_TYPE_CHARACTER as (typeof rs.columnTypes)[number];
      rs.rows = rs.rows.filter((row) => row[at] !== 'n');
    }
    return rs;
  };
  return adapter;
}

/*
 * Workaround 3 — migration scripts. adapter-pg 6.19.3's executeScript splits a migration on every ";" and runs the
 * pieces one by one: a ";" inside a comment, a string or a dollar-quoted function body (our audit trigger) breaks
 * the script, and a failure half-way leaves half a migration applied. Send the script whole, as PostgreSQL's
 * simple-query protocol allows: it runs in one implicit transaction, like the native engine does.
 */
function withWholeScripts<T extends Queryable>(adapter: T): T {
  const pool = adapter.underlyingDriver() as { query(sql: string): Promise<unknown> };
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (error) {
      // the adapter's own error mapping (DriverAdapterError with the PostgreSQL code and message)
      (adapter as unknown as { onError(e: unknown): never }).onError(error);
    }
  };
  return adapter;
}

/*
 * Workaround 4 — lingering timers (speed only). The Wasm engine's JS glue arms 10 s / 60 s setTimeout()s and
 * never clears them, so `migrate deploy` would linger ~10 s and `migrate dev` ~60 s after its work is done.
 * Unref only the timers created from inside the Wasm module (their stack contains a wasm:// frame).
 */
const setTimeoutOriginal = globalThis.setTimeout;
globalThis.setTimeout = function setTimeoutUnrefFromWasm(this: unknown, ...args: Parameters<typeof setTimeout>) {
  const timer = setTimeoutOriginal.apply(this, args);
  if (new Error().stack?.includes('wasm://')) timer.unref();
  return timer;
} as typeof setTimeout;

/*
 * Without DATABASE_URL the CLI cannot evaluate the schema's `env("DATABASE_URL")`, silently assumes the native
 * "library" engine, and then fails trying to download it — even for `prisma generate`, which never connects.
 * Give the schema a placeholder; commands that do connect read the real value captured here and fail clearly.
 */
const databaseUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ||= 'postgresql://unset@127.0.0.1:1/unset';

/**
 * Connection settings from DATABASE_URL as discrete fields (see workaround 5: with `connectionString`, pg lets it
 * override `database`, which breaks the shadow database).
 */
function pgConfigFromEnv() {
  const raw = databaseUrl;
  if (!raw) throw new Error('DATABASE_URL is not set: the Prisma CLI needs it for this command (prisma generate does not).');
  const u = new URL(raw);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    // the CLI never disposes its main adapter: don't let idle pooled sockets keep the process alive
    allowExitOnIdle: true,
  };
}

/*
 * Workaround 5 — shadow database. adapter-pg 6.19.3's connectToShadowDb (a) with a connection string connects the
 * "shadow" pool to the MAIN database (P3006 "relation already exists"), and (b) with discrete fields drops the
 * shadow database before closing its own pool ("database is being accessed by other users", leaking a
 * prisma_migrate_shadow_db_* database). Create a uniquely named shadow database ourselves and drop it (FORCE)
 * only after its pool is closed.
 */
class PrismaPgForMigrate extends PrismaPg {
  override async connect() {
    return withWholeScripts(withConstraintQueryFix(await super.connect()));
  }

  override async connectToShadowDb() {
    const cfg = pgConfigFromEnv();
    const main = await new PrismaPg(cfg).connect();
    const shadowName = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
    await main.executeScript(`CREATE DATABASE "${shadowName}"`);
    const shadow = withWholeScripts(withConstraintQueryFix(await new PrismaPg({ ...cfg, database: shadowName }).connect()));
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await main.executeScript(`DROP DATABASE IF EXISTS "${shadowName}" WITH (FORCE)`);
      await main.dispose();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true }, // required for `engine: 'js'`
  engine: 'js', // Wasm schema engine bundled in the prisma package; never the downloaded native binary
  adapter: async () => new PrismaPgForMigrate(pgConfigFromEnv()),
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
