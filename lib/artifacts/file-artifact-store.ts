import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppError } from '../errors';
import { conflictError, sha256Hex, validateArtifactKey, validateMetadata, type ArtifactHead, type ArtifactStore, type PutMeta, type PutResult } from './artifact-store';

interface Sidecar {
  sha256: string;
  bytes: number;
  contentType: string;
  metadata: Record<string, string>;
}

const META_DIR = '.hone-meta';

/**
 * Artifacts as files under `root`: `<root>/<key>` holds the bytes, `<root>/.hone-meta/<key>.json` their hash, size
 * and metadata. A write goes to a temporary file in the target folder, is fsynced, and is published with link(2),
 * which fails if the key exists: readers never see partial files and two writers never both win.
 */
export class FileArtifactStore implements ArtifactStore {
  readonly kind = 'file' as const;
  readonly root: string;
  private readonly rootUri: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.rootUri = pathToFileURL(this.root + path.sep).href;
  }

  uriFor(key: string): string {
    validateArtifactKey(key);
    return this.rootUri + key;
  }

  async put(key: string, body: Uint8Array, meta: PutMeta = {}): Promise<PutResult> {
    const uri = this.uriFor(key);
    const metadata = validateMetadata(meta.metadata);
    const sha256 = sha256Hex(body);
    const file = this.fileFor(key);
    const side: Sidecar = { sha256, bytes: body.byteLength, contentType: meta.contentType ?? 'application/octet-stream', metadata };
    const existing = await this.existingHash(key);
    if (existing !== undefined) {
      const result = await this.sameOrConflict(uri, key, existing, sha256, body.byteLength);
      // a writer that died between publishing the bytes and writing the sidecar: the retry completes it
      if (!(await this.readSidecar(key))) await this.writeSidecar(key, side);
      return result;
    }

    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
    const fh = await fs.open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fs.link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a concurrent writer published first: same bytes → fine, different → conflict
      const winner = await this.existingHash(key);
      return this.sameOrConflict(uri, key, winner ?? sha256Hex(await fs.readFile(file)), sha256, body.byteLength);
    } finally {
      await fs.rm(tmp, { force: true });
    }
    await fsyncDir(path.dirname(file));
    await this.writeSidecar(key, side);
    return { uri, key, sha256, bytes: body.byteLength, created: true };
  }

  async get(uri: string): Promise<Buffer> {
    const key = this.keyFor(uri);
    let body: Buffer;
    try {
      body = await fs.readFile(this.fileFor(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `artifact ${uri} does not exist`, { uri });
      throw e;
    }
    const side = await this.readSidecar(key);
    if (side && (side.sha256 !== sha256Hex(body) || side.bytes !== body.byteLength)) {
      throw new AppError('INTERNAL', `artifact ${uri} is corrupted: its bytes no longer match the recorded sha256 ${side.sha256}`, { uri });
    }
    return body;
  }

  async head(uri: string): Promise<ArtifactHead | undefined> {
    const key = this.keyFor(uri);
    const file = this.fileFor(key);
    const st = await fs.stat(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (!st) return undefined;
    const side = await this.readSidecar(key);
    if (side) return { uri, key, sha256: side.sha256, bytes: side.bytes, contentType: side.contentType, metadata: side.metadata };
    // bytes published but the writer died before the sidecar: describe what is there
    return { uri, key, sha256: sha256Hex(await fs.readFile(file)), bytes: st.size, contentType: 'application/octet-stream', metadata: {} };
  }

  private fileFor(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private sidecarFor(key: string): string {
    return path.join(this.root, META_DIR, ...key.split('/')) + '.json';
  }

  private keyFor(uri: string): string {
    if (typeof uri !== 'string' || !uri.startsWith(this.rootUri)) {
      throw new AppError('VALIDATION_FAILED', `artifact URI ${JSON.stringify(uri)} is not in this store (${this.rootUri})`, { uri });
    }
    const key = fileURLToPath(uri).slice(this.root.length + 1).split(path.sep).join('/');
    validateArtifactKey(key);
    return key;
  }

  private async existingHash(key: string): Promise<string | undefined> {
    const side = await this.readSidecar(key);
    if (side) return side.sha256;
    try {
      return sha256Hex(await fs.readFile(this.fileFor(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private async sameOrConflict(uri: string, key: string, existing: string, sha256: string, bytes: number): Promise<PutResult> {
    if (existing !== sha256) throw conflictError(uri, key, existing, sha256);
    return { uri, key, sha256, bytes, created: false };
  }

  private async readSidecar(key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.sidecarFor(key), 'utf8')) as Sidecar;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private async writeSidecar(key: string, side: Sidecar): Promise<void> {
    const file = this.sidecarFor(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(tmp, JSON.stringify(side) + '\n', { flush: true });
    await fs.rename(tmp, file);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  // makes the new directory entry itself durable (the file's data was synced before linking)
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
