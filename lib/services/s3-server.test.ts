import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createArtifactStore } from '../artifacts';
import { testEnv } from '../../test/test-env';
import { startS3Server, type S3Server } from './s3-server';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-s3-'));
let s3: S3Server | undefined;
afterAll(async () => {
  await s3?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('startS3Server', () => {
  it('serves S3 on 127.0.0.1 and keeps objects and credentials across restarts', async () => {
    const binPath = testEnv('s3ServerBin');
    s3 = await startS3Server({ dataDir, binPath });
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const store = () => createArtifactStore({ kind: 's3', bucket: 'persist', endpoint: s3!.endpoint, region: s3!.region, credentials: { accessKeyId: s3!.accessKeyId, secretAccessKey: s3!.secretAccessKey } });
    const put = await store().put('a/b.txt', Buffer.from('kept'));
    const creds = { id: s3.accessKeyId, secret: s3.secretAccessKey };
    await s3.stop();

    s3 = await startS3Server({ dataDir, binPath });
    expect({ id: s3.accessKeyId, secret: s3.secretAccessKey }).toEqual(creds);
    expect((await store().get(put.uri)).toString()).toBe('kept');
  });

  it('rejects requests signed with wrong credentials', async () => {
    const wrong = createArtifactStore({ kind: 's3', bucket: 'persist', endpoint: s3!.endpoint, region: s3!.region, credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong' } });
    await expect(wrong.put('x', Buffer.from('y'))).rejects.toThrow();
  });
});
