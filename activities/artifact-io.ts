import { sha256Hex } from '../lib/artifacts';
import { isAppError } from '../lib/errors';
import { registerArtifact } from '../lib/domain';
import type { ResolvedActivityDeps } from './activity-deps';
import { permanentFailure } from './activity-failure';

/** A lineage edge to a parent artifact (`role`: init, reference, reward_model, data, policy, resumed_from, …). */
export interface ParentRef {
  artifactId: string;
  role: string;
}

/** A registered artifact as the activities use it. */
export interface StoredArtifact {
  id: string;
  key: string;
  kind: string;
  uri: string;
  sha256: string;
  bytes: number;
  /** The small facts recorded with it (see {@link StoreArtifactArgs.summary}). */
  summary: Record<string, unknown>;
}

export interface StoreArtifactArgs {
  /** Store key, derived from the activity's idempotency key: one key, one content, forever. */
  key: string;
  kind: string;
  experimentId: string;
  parents: ParentRef[];
  /** The activity's idempotency key (recorded as `createdByActivity`). */
  createdByActivity: string;
  actor: string;
  contentType?: string;
  /**
   * Small JSON-safe facts about the content (metrics it was fitted with, iteration, …). Kept with the bytes in the
   * store too, so a retry that finds the bytes of an earlier attempt also finds the facts that belong to them.
   */
  summary?: Record<string, unknown>;
}

const SUMMARY_META = 'summary';

/** JSON with every non-ASCII character escaped (store metadata must be printable ASCII). */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function rowToStored(row: { id: string; key: string; kind: string; uri: string; sha256: string; bytes: bigint | number; metadata: unknown }): StoredArtifact {
  const md = (row.metadata ?? {}) as Record<string, unknown>;
  return { id: row.id, key: row.key, kind: row.kind, uri: row.uri, sha256: row.sha256, bytes: Number(row.bytes), summary: (md.summary as Record<string, unknown>) ?? {} };
}

/**
 * The artifact registered under `key`, if any (a step that completed before, whose result was lost). Its summary
 * is read from the store, where it is kept as exact JSON text: a JSON column does not give every float back
 * bit-for-bit, and a retry must return exactly what the first attempt returned.
 */
export async function findArtifactByKey(deps: ResolvedActivityDeps, key: string): Promise<StoredArtifact | undefined> {
  const row = await deps.db.artifact.findUnique({ where: { key } });
  if (!row) return undefined;
  const stored = rowToStored(row);
  const text = (await deps.artifacts.head(row.uri))?.metadata[SUMMARY_META];
  if (text) stored.summary = JSON.parse(text) as Record<string, unknown>;
  return stored;
}

/**
 * Writes bytes under `key` once and registers them with their lineage. If the store already holds *other* bytes
 * under the key — an earlier attempt wrote them and died before registering, and this attempt computed something
 * not bit-identical — those stored bytes win: they are registered (with the summary stored beside them) and
 * returned as `body`, so the caller continues from what is stored. A retried activity therefore never produces
 * two different artifacts for one key.
 */
export async function storeArtifact(deps: ResolvedActivityDeps, args: StoreArtifactArgs, body: Uint8Array): Promise<{ artifact: StoredArtifact; body: Uint8Array; adopted: boolean }> {
  const summary = args.summary ?? {};
  let stored = body;
  let storedSummary = summary;
  let adopted = false;
  let put: { uri: string; sha256: string; bytes: number };
  try {
    put = await deps.artifacts.put(args.key, body, { contentType: args.contentType ?? 'application/octet-stream', metadata: { [SUMMARY_META]: asciiJson(summary) } });
  } catch (e) {
    if (!(isAppError(e) && e.code === 'CONFLICT')) throw e;
    const uri = deps.artifacts.uriFor(args.key);
    const head = await deps.artifacts.head(uri);
    if (!head) throw e;
    stored = await deps.artifacts.get(uri);
    storedSummary = head.metadata[SUMMARY_META] ? (JSON.parse(head.metadata[SUMMARY_META]) as Record<string, unknown>) : {};
    adopted = true;
    put = { uri, sha256: head.sha256, bytes: head.bytes };
    deps.logger.warn('artifact key held different bytes from an earlier attempt; keeping those', { key: args.key, sha256: head.sha256 });
  }
  const reg = await registerArtifact(deps.db, {
    key: args.key,
    uri: put.uri,
    sha256: put.sha256,
    bytes: put.bytes,
    kind: args.kind,
    metadata: { summary: storedSummary, contentType: args.contentType ?? 'application/octet-stream' },
    parents: args.parents,
    experimentId: args.experimentId,
    createdByActivity: args.createdByActivity,
    createdBy: args.actor,
  });
  const a = reg.artifact;
  return { artifact: { id: a.id, key: args.key, kind: args.kind, uri: put.uri, sha256: put.sha256, bytes: put.bytes, summary: storedSummary }, body: stored, adopted };
}

/** Immutable artifact bytes by id, kept in memory up to a byte budget (policies are read by several steps). */
export class ArtifactCache {
  private readonly entries = new Map<string, Uint8Array>();
  private size = 0;

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  get(id: string): Uint8Array | undefined {
    const v = this.entries.get(id);
    if (v) {
      // refresh recency
      this.entries.delete(id);
      this.entries.set(id, v);
    }
    return v;
  }

  set(id: string, body: Uint8Array): void {
    if (body.byteLength > this.maxBytes || this.entries.has(id)) return;
    this.entries.set(id, body);
    this.size += body.byteLength;
    for (const [k, v] of this.entries) {
      if (this.size <= this.maxBytes) break;
      this.entries.delete(k);
      this.size -= v.byteLength;
    }
  }
}

/**
 * An artifact's record and verified bytes. A missing record or object is ARTIFACT_NOT_FOUND, bytes whose sha256
 * differs from the record ARTIFACT_CORRUPT, a record of another kind INVALID_ARGUMENT: all permanent.
 */
export async function loadArtifact(deps: ResolvedActivityDeps, cache: ArtifactCache, artifactId: string, kinds: readonly string[]): Promise<{ artifact: StoredArtifact; body: Uint8Array }> {
  const row = await deps.db.artifact.findUnique({ where: { id: artifactId } });
  if (!row) throw permanentFailure('ARTIFACT_NOT_FOUND', `artifact ${artifactId} is not registered`, { artifactId });
  const artifact = rowToStored(row);
  if (!kinds.includes(row.kind)) throw permanentFailure('INVALID_ARGUMENT', `artifact ${artifactId} is a ${row.kind}, expected ${kinds.join(' or ')}`, { artifactId, kind: row.kind });
  const cached = cache.get(artifactId);
  if (cached) return { artifact, body: cached };
  let body: Buffer;
  try {
    body = await deps.artifacts.get(row.uri);
  } catch (e) {
    if (isAppError(e) && e.code === 'NOT_FOUND') throw permanentFailure('ARTIFACT_NOT_FOUND', `artifact ${artifactId} (${row.uri}) is registered but its bytes are missing from the store`, { artifactId, uri: row.uri });
    // the store verifies bytes against its own record of them
    if (isAppError(e) && /corrupt/i.test(e.message)) throw permanentFailure('ARTIFACT_CORRUPT', `artifact ${artifactId} (${row.uri}): ${e.message}`, { artifactId, uri: row.uri });
    throw e;
  }
  const sha = sha256Hex(body);
  if (sha !== row.sha256) throw permanentFailure('ARTIFACT_CORRUPT', `artifact ${artifactId} (${row.uri}) has sha256 ${sha}, but ${row.sha256} was recorded`, { artifactId, uri: row.uri });
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  cache.set(artifactId, bytes);
  return { artifact, body: bytes };
}
