import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ArtifactStoreConfig } from '../artifacts';
import { AppError } from '../errors';

/** hone's configuration, read from the environment once at start and passed down (workflows get values as arguments). */
export interface HoneConfig {
  /** Folder for embedded services' data and default artifacts (HONE_DATA_DIR, default ./.hone). */
  dataDir: string;
  /** External Postgres (DATABASE_URL); undefined → embedded Postgres under dataDir. */
  databaseUrl?: string;
  temporal: {
    /** External Temporal frontend host:port (TEMPORAL_ADDRESS); undefined → embedded dev server. */
    address?: string;
    /** TEMPORAL_NAMESPACE, default "default". */
    namespace: string;
  };
  /** Artifact backend (HONE_ARTIFACTS, default file://<dataDir>/artifacts). */
  artifacts: ArtifactStoreConfig;
  api: {
    /** HONE_API_HOST, default 127.0.0.1. */
    host: string;
    /** HONE_API_PORT, default 8787 (0 = any free port). */
    port: number;
  };
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const schema = z.object({
  HONE_DATA_DIR: optional,
  DATABASE_URL: optional.refine((v) => v === undefined || /^postgres(ql)?:\/\/[^/]+/.test(v), 'must be a postgresql://user:password@host:port/database URL'),
  TEMPORAL_ADDRESS: optional.refine((v) => v === undefined || /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(v), 'must be host:port, e.g. 127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: optional.refine((v) => v === undefined || /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(v), 'must be a Temporal namespace name'),
  HONE_ARTIFACTS: optional.refine((v) => v === undefined || /^(file|s3):\/\//.test(v), 'must be file:///absolute/path or s3://bucket/prefix'),
  HONE_S3_ENDPOINT: optional.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'must be an http(s):// URL'),
  HONE_S3_FORCE_PATH_STYLE: optional.refine((v) => v === undefined || ['true', 'false', '1', '0'].includes(v), 'must be true or false'),
  AWS_REGION: optional,
  AWS_ACCESS_KEY_ID: optional,
  AWS_SECRET_ACCESS_KEY: optional,
  AWS_SESSION_TOKEN: optional,
  HONE_API_PORT: optional.refine((v) => v === undefined || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), 'must be a TCP port 0–65535'),
  HONE_API_HOST: optional.refine((v) => v === undefined || /^[A-Za-z0-9.:[\]-]+$/.test(v), 'must be a host name or IP address'),
});

function fail(variable: string, problem: string): never {
  throw new AppError('CONFIG_INVALID', `${variable} ${problem}`, { variable });
}

/**
 * Validates the environment into a {@link HoneConfig}. Pure (reads only `env`); throws
 * `AppError('CONFIG_INVALID')` whose message starts with the offending variable's name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): HoneConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(String(issue.path[0]), `${issue.message} (got ${JSON.stringify(env[String(issue.path[0])])})`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.HONE_DATA_DIR ?? '.hone');

  let artifacts: ArtifactStoreConfig;
  const spec = e.HONE_ARTIFACTS ?? pathToFileURL(path.join(dataDir, 'artifacts')).href;
  if (spec.startsWith('file://')) {
    let root: string;
    try {
      root = fileURLToPath(spec);
    } catch {
      fail('HONE_ARTIFACTS', `is not a valid file URL: ${spec} (use file:///absolute/path)`);
    }
    artifacts = { kind: 'file', root };
  } else {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(spec);
    if (!m) fail('HONE_ARTIFACTS', `must be s3://bucket or s3://bucket/prefix (got ${spec})`);
    if (Boolean(e.AWS_ACCESS_KEY_ID) !== Boolean(e.AWS_SECRET_ACCESS_KEY)) {
      fail(e.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID', 'must be set together with the other one (or neither, to use the AWS default credential chain)');
    }
    artifacts = {
      kind: 's3',
      bucket: m[1],
      prefix: m[2],
      endpoint: e.HONE_S3_ENDPOINT,
      region: e.AWS_REGION ?? 'us-east-1',
      forcePathStyle: e.HONE_S3_FORCE_PATH_STYLE === undefined ? undefined : ['true', '1'].includes(e.HONE_S3_FORCE_PATH_STYLE),
      credentials: e.AWS_ACCESS_KEY_ID ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY!, sessionToken: e.AWS_SESSION_TOKEN } : undefined,
    };
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(artifacts.bucket)) fail('HONE_ARTIFACTS', `names an invalid S3 bucket "${artifacts.bucket}"`);
  }

  return {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE ?? 'default' },
    artifacts,
    api: { host: e.HONE_API_HOST ?? '127.0.0.1', port: e.HONE_API_PORT === undefined ? 8787 : Number(e.HONE_API_PORT) },
  };
}

let cached: HoneConfig | undefined;

/** The process's configuration, read from process.env on first call and then reused. */
export function getConfig(): HoneConfig {
  cached ??= loadConfig();
  return cached;
}
