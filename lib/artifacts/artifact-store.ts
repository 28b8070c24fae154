import { createHash } from 'node:crypto';
import { AppError } from '../errors';

/** Optional description stored with an artifact's bytes. */
export interface PutMeta {
  /** MIME type, e.g. "application/octet-stream" (default) or "application/json". */
  contentType?: string;
  /**
   * Small string annotations (lowercase keys `[a-z0-9-]`, printable ASCII values; ≤ 2 KiB in all — S3's
   * user-metadata rules, applied to both backends so they behave alike).
   */
  metadata?: Record<string, string>;
}

/** What {@link ArtifactStore.put} stored (or found already stored). */
export interface PutResult {
  uri: string;
  key: string;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
  bytes: number;
  /** false when the same key already held the same bytes (a retried write). */
  created: boolean;
}

/** An artifact's description without its bytes. */
export interface ArtifactHead {
  uri: string;
  key: string;
  sha256: string;
  bytes: number;
  contentType: string;
  metadata: Record<string, string>;
}

/**
 * Where artifact bytes live. Writes are keyed (keys derive from workflow + activity ids), and write-once:
 * putting the same key again with the same bytes returns the existing object (`created: false`); with different
 * bytes it fails with `AppError('CONFLICT')` and leaves the stored object untouched. There is no delete.
 */
export interface ArtifactStore {
  readonly kind: 'file' | 's3';
  /** The URI a key has (or would have) in this store. */
  uriFor(key: string): string;
  put(key: string, body: Uint8Array, meta?: PutMeta): Promise<PutResult>;
  /** The bytes at `uri`, verified against their recorded SHA-256. `AppError('NOT_FOUND')` if absent. */
  get(uri: string): Promise<Buffer>;
  /** The description at `uri`, or undefined if absent. */
  head(uri: string): Promise<ArtifactHead | undefined>;
}

/** Lowercase hex SHA-256. */
export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=+@,-]*$/;

/**
 * Checks an artifact key: `/`-separated segments of `[A-Za-z0-9._=+@,-]` that start with a letter or digit (so no
 * `..`, no hidden names, no empty segments, no leading `/`), at most 512 characters. The same keys are then valid
 * file paths and S3 keys.
 */
export function validateArtifactKey(key: string): void {
  const bad = (why: string): never => {
    throw new AppError('VALIDATION_FAILED', `invalid artifact key ${JSON.stringify(key)}: ${why}`, { key });
  };
  if (typeof key !== 'string' || key.length === 0) bad('empty');
  if (key.length > 512) bad('longer than 512 characters');
  for (const seg of key.split('/')) {
    if (!SEGMENT.test(seg)) bad(`segment ${JSON.stringify(seg)} must start with a letter or digit and use only A-Z a-z 0-9 . _ = + @ , -`);
  }
}

/** Checks {@link PutMeta.metadata} against the rules both backends can honour. */
export function validateMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const md = metadata ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(md)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(k)) throw new AppError('VALIDATION_FAILED', `artifact metadata key ${JSON.stringify(k)} must be lowercase [a-z0-9-]`, { key: k });
    if (k === 'sha256') throw new AppError('VALIDATION_FAILED', 'artifact metadata key "sha256" is reserved', { key: k });
    if (typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v)) throw new AppError('VALIDATION_FAILED', `artifact metadata ${k} must be printable ASCII`, { key: k });
    size += k.length + v.length;
  }
  if (size > 2048) throw new AppError('VALIDATION_FAILED', `artifact metadata is ${size} bytes; at most 2048 allowed`);
  return md;
}

/** The error for a second, different write to an existing key. */
export function conflictError(uri: string, key: string, existingSha256: string, newSha256: string): AppError {
  return new AppError(
    'CONFLICT',
    `artifact ${uri} already exists with different content (stored sha256 ${existingSha256}, new ${newSha256}); artifacts are write-once — use a new key`,
    { uri, key, existingSha256, newSha256 },
  );
}
