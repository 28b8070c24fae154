import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { AppError } from '../errors';
import { conflictError, sha256Hex, validateArtifactKey, validateMetadata, type ArtifactHead, type ArtifactStore, type PutMeta, type PutResult } from './artifact-store';

/** How {@link S3ArtifactStore} keeps a key write-once. */
export type ConditionalPutMode = 'auto' | 'if-none-match' | 'head-then-put';

/** Settings for {@link S3ArtifactStore}. */
export interface S3ArtifactStoreConfig {
  bucket: string;
  /** Key prefix inside the bucket ("" or e.g. "hone/"; a trailing "/" is added if missing). */
  prefix?: string;
  /** Endpoint of an S3-compatible server, e.g. http://127.0.0.1:7070; omit for AWS. */
  endpoint?: string;
  region: string;
  /** Path-style URLs (bucket in the path): needed by most self-hosted servers. Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Static credentials; omit to use the AWS SDK's default chain (env AWS_ACCESS_KEY_ID/…, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Create the bucket on first use if it is missing (default true). */
  createBucket?: boolean;
  /**
   * `if-none-match`: PUT with `If-None-Match: *`, atomic on the server (AWS S3 since 2024, versitygw);
   * `head-then-put`: HEAD, then PUT if absent — for servers without conditional writes; two writers racing on one
   * key may both write; `auto` (default): probe once which one the server honours.
   */
  conditionalPut?: ConditionalPutMode;
}

const SHA_META = 'sha256';

function errName(e: unknown): string {
  return (e as { name?: string }).name ?? '';
}
function httpStatusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
function isNotFound(e: unknown): boolean {
  return ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(errName(e)) || httpStatusOf(e) === 404;
}
function isPreconditionFailed(e: unknown): boolean {
  return errName(e) === 'PreconditionFailed' || httpStatusOf(e) === 412;
}
function isConditionalConflict(e: unknown): boolean {
  return errName(e) === 'ConditionalRequestConflict' || httpStatusOf(e) === 409;
}

/**
 * Artifacts as objects in an S3 bucket (AWS or any S3-compatible server), URIs `s3://bucket/prefix/key`. Each
 * object carries its SHA-256 as user metadata (`x-amz-meta-sha256`) and is uploaded with `x-amz-checksum-sha256`,
 * so the server rejects bytes damaged in transit.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private bucketReady?: Promise<void>;
  private mode?: Promise<Exclude<ConditionalPutMode, 'auto'>>;

  constructor(private readonly config: S3ArtifactStoreConfig) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(config.bucket)) {
      throw new AppError('CONFIG_INVALID', `invalid S3 bucket name ${JSON.stringify(config.bucket)} (3–63 characters: lowercase letters, digits, "." and "-")`);
    }
    this.bucket = config.bucket;
    const p = (config.prefix ?? '').replace(/^\/+/, '');
    this.prefix = p && !p.endsWith('/') ? `${p}/` : p;
    if (this.prefix) validateArtifactKey(this.prefix.slice(0, -1));
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle ?? Boolean(config.endpoint),
      credentials: config.credentials,
      // we send our own SHA-256 checksum on PUT; don't also demand response checksums from servers that lack them
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
  }

  uriFor(key: string): string {
    validateArtifactKey(key);
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  async put(key: string, body: Uint8Array, meta: PutMeta = {}): Promise<PutResult> {
    const uri = this.uriFor(key);
    const metadata = validateMetadata(meta.metadata);
    const sha256 = sha256Hex(body);
    await this.ensureBucket();
    const mode = await this.conditionalMode();
    const objectKey = this.prefix + key;
    const existingOr = async (): Promise<PutResult | undefined> => {
      const head = await this.headObject(objectKey);
      if (!head) return undefined;
      const stored = head.Metadata?.[SHA_META] ?? '';
      if (stored !== sha256) throw conflictError(uri, key, stored || '(unknown)', sha256);
      return { uri, key, sha256, bytes: body.byteLength, created: false };
    };
    if (mode === 'head-then-put') {
      const found = await existingOr();
      if (found) return found;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: body,
            ContentLength: body.byteLength,
            ContentType: meta.contentType ?? 'application/octet-stream',
            Metadata: { ...metadata, [SHA_META]: sha256 },
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
            IfNoneMatch: mode === 'if-none-match' ? '*' : undefined,
          }),
        );
        return { uri, key, sha256, bytes: body.byteLength, created: true };
      } catch (e) {
        const raced = mode === 'if-none-match' && (isPreconditionFailed(e) || isConditionalConflict(e));
        if (!raced || attempt >= 5) throw e;
        // 412: the key exists; 409: a concurrent conditional write to it is in flight. Compare with what is there.
        const found = await existingOr();
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
  }

  async get(uri: string): Promise<Buffer> {
    const objectKey = this.objectKeyFor(uri);
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (e) {
      if (isNotFound(e)) throw new AppError('NOT_FOUND', `artifact ${uri} does not exist`, { uri });
      throw e;
    }
    const body = Buffer.from(await out.Body!.transformToByteArray());
    const expected = out.Metadata?.[SHA_META];
    if (expected && expected !== sha256Hex(body)) {
      throw new AppError('INTERNAL', `artifact ${uri} is corrupted: its bytes do not match the recorded sha256 ${expected}`, { uri });
    }
    return body;
  }

  async head(uri: string): Promise<ArtifactHead | undefined> {
    const objectKey = this.objectKeyFor(uri);
    const h = await this.headObject(objectKey);
    if (!h) return undefined;
    const { [SHA_META]: sha256 = '', ...metadata } = h.Metadata ?? {};
    return { uri, key: objectKey.slice(this.prefix.length), sha256, bytes: Number(h.ContentLength ?? 0), contentType: h.ContentType ?? 'application/octet-stream', metadata };
  }

  private objectKeyFor(uri: string): string {
    const base = `s3://${this.bucket}/${this.prefix}`;
    if (typeof uri !== 'string' || !uri.startsWith(base)) {
      throw new AppError('VALIDATION_FAILED', `artifact URI ${JSON.stringify(uri)} is not in this store (${base})`, { uri });
    }
    const key = uri.slice(base.length);
    validateArtifactKey(key);
    return this.prefix + key;
  }

  private async headObject(objectKey: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
        return;
      } catch (e) {
        if (!isNotFound(e) || this.config.createBucket === false) {
          throw new AppError('DEPENDENCY_UNAVAILABLE', `S3 bucket ${this.bucket} is not usable at ${this.config.endpoint ?? 'AWS'}: ${(e as Error).message || errName(e)}`, { bucket: this.bucket }, { cause: e });
        }
      }
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      } catch (e) {
        if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errName(e))) throw e;
      }
    })().catch((e: unknown) => {
      this.bucketReady = undefined; // let a later call try again
      throw e;
    });
    return this.bucketReady;
  }

  /** Resolves 'auto' once per store: PUT a probe object twice with If-None-Match and see whether the second fails. */
  private conditionalMode(): Promise<Exclude<ConditionalPutMode, 'auto'>> {
    const configured = this.config.conditionalPut ?? 'auto';
    if (configured !== 'auto') return Promise.resolve(configured);
    this.mode ??= (async () => {
      const probe = `${this.prefix}.hone-probe/conditional-put-${randomUUID()}`;
      const put = () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: new Uint8Array(0), IfNoneMatch: '*' }));
      try {
        await put();
        try {
          await put();
          return 'head-then-put' as const;
        } catch (e) {
          if (isPreconditionFailed(e)) return 'if-none-match' as const;
          throw e;
        }
      } finally {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: probe })).catch(() => undefined);
      }
    })().catch((e: unknown) => {
      this.mode = undefined;
      throw e;
    });
    return this.mode;
  }
}
