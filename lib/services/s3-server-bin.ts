import path from 'node:path';
import { toolsCacheDir } from './project-root';
import { goInstall, resolveTool, type ResolvedTool, type ResolveToolOptions } from './resolve-tool';

/**
 * The S3-compatible server hone runs for the S3 artifact backend in tests and `hone up --s3`: Versity S3 Gateway
 * (Apache-2.0) with its posix backend, built from source through the Go module proxy. Pinned; go 1.25+.
 */
export const S3_SERVER_VERSION = 'v1.8.0';
const GO_PACKAGE = 'github.com/versity/versitygw/cmd/versitygw';

/** Cache path of the built server. */
export function s3ServerCachePath(cacheDir = toolsCacheDir()): string {
  return path.join(cacheDir, `versitygw-${S3_SERVER_VERSION}`, 'versitygw');
}

/** `Version  : v1.8.0` → `v1.8.0`. */
export function parseVersitygwVersion(output: string): string | undefined {
  return /Version\s*:\s*(\S+)/.exec(output)?.[1];
}

/**
 * Finds or builds the S3 server: `$HONE_S3_SERVER_BIN` → `versitygw` on PATH → the project cache →
 * `CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` → an error naming every source.
 * Safe to call from several processes at once; progress goes to stderr.
 */
export function resolveS3ServerBin(opts: ResolveToolOptions = {}): Promise<ResolvedTool> {
  const cacheDir = path.resolve(opts.cacheDir ?? toolsCacheDir(opts.env));
  const target = s3ServerCachePath(cacheDir);
  return resolveTool(
    {
      name: 'S3 server (versitygw)',
      id: 'versitygw',
      envVar: 'HONE_S3_SERVER_BIN',
      pathCommand: 'versitygw',
      versionArgs: ['--version'],
      parseVersion: parseVersitygwVersion,
      cacheDir,
      cached: [{ path: target, version: S3_SERVER_VERSION }],
      fetchers: [
        {
          source: 'go',
          describe: `CGO_ENABLED=0 go install ${GO_PACKAGE}@${S3_SERVER_VERSION}`,
          target,
          fetch: (tmp, log) => goInstall(tmp, GO_PACKAGE, S3_SERVER_VERSION, log, ['-ldflags', `-X main.Version=${S3_SERVER_VERSION}`]),
        },
      ],
      fixHint:
        'Fix one of: set HONE_S3_SERVER_BIN=/path/to/versitygw; put `versitygw` on PATH; or install Go ≥ 1.25 with the ' +
        'Go module proxy reachable, then run `npm run setup:tools`. (Or point hone at an existing S3 service with ' +
        'HONE_ARTIFACTS=s3://bucket/prefix and HONE_S3_ENDPOINT.)',
    },
    opts,
  );
}
