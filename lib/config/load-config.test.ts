import path from 'node:path';
import { loadConfig } from './load-config';

const cwd = '/srv/hone';

describe('loadConfig', () => {
  it('defaults to the embedded stack under ./.hone', () => {
    expect(loadConfig({}, cwd)).toEqual({
      dataDir: '/srv/hone/.hone',
      databaseUrl: undefined,
      temporal: { address: undefined, namespace: 'default' },
      artifacts: { kind: 'file', root: '/srv/hone/.hone/artifacts' },
      api: { host: '127.0.0.1', port: 8787 },
    });
  });

  it('reads external services', () => {
    const c = loadConfig(
      {
        HONE_DATA_DIR: 'data',
        DATABASE_URL: 'postgresql://hone:pw@db.internal:5432/hone',
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_NAMESPACE: 'hone-prod',
        HONE_ARTIFACTS: 's3://hone-artifacts/prod/v1',
        HONE_S3_ENDPOINT: 'http://127.0.0.1:7070',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AK',
        AWS_SECRET_ACCESS_KEY: 'SK',
        HONE_API_PORT: '9000',
        HONE_API_HOST: '0.0.0.0',
      },
      cwd,
    );
    expect(c).toEqual({
      dataDir: path.join(cwd, 'data'),
      databaseUrl: 'postgresql://hone:pw@db.internal:5432/hone',
      temporal: { address: 'temporal.internal:7233', namespace: 'hone-prod' },
      artifacts: {
        kind: 's3',
        bucket: 'hone-artifacts',
        prefix: 'prod/v1',
        endpoint: 'http://127.0.0.1:7070',
        region: 'eu-west-1',
        forcePathStyle: undefined,
        credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: undefined },
      },
      api: { host: '0.0.0.0', port: 9000 },
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: '  ' }, cwd)).toMatchObject({ databaseUrl: undefined, temporal: { address: undefined } });
  });

  it('takes an explicit file:// artifact root', () => {
    expect(loadConfig({ HONE_ARTIFACTS: 'file:///var/lib/hone/artifacts' }, cwd).artifacts).toEqual({ kind: 'file', root: '/var/lib/hone/artifacts' });
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x@y/z' }],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'http://localhost:7233' }],
    ['TEMPORAL_NAMESPACE', { TEMPORAL_NAMESPACE: 'bad namespace' }],
    ['HONE_ARTIFACTS', { HONE_ARTIFACTS: 'gs://bucket' }],
    ['HONE_ARTIFACTS', { HONE_ARTIFACTS: 's3://Bad_Bucket/x' }],
    ['HONE_ARTIFACTS', { HONE_ARTIFACTS: 'file://relative/path' }],
    ['HONE_S3_ENDPOINT', { HONE_S3_ENDPOINT: '127.0.0.1:7070' }],
    ['AWS_SECRET_ACCESS_KEY', { HONE_ARTIFACTS: 's3://b-1/x', AWS_ACCESS_KEY_ID: 'AK' }],
    ['HONE_API_PORT', { HONE_API_PORT: '70000' }],
    ['HONE_API_PORT', { HONE_API_PORT: 'eighty' }],
    ['HONE_API_HOST', { HONE_API_HOST: 'a b' }],
  ])('fails fast naming %s', (variable, env) => {
    let err: unknown;
    try {
      loadConfig(env, cwd);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', details: { variable } });
    expect((err as Error).message.startsWith(variable)).toBe(true);
  });
});
