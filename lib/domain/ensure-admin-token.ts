import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db';
import { authenticate } from './authenticate';
import { createLabeler } from './create-labeler';
import { rotateToken } from './rotate-token';

/** Where the embedded setup keeps the admin token (read by the `hone` CLI). */
export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

export interface EnsureAdminTokenResult {
  path: string;
  labelerId: string;
  /** true when a new token was written now (first start, or the old one no longer worked). */
  created: boolean;
}

/**
 * For the embedded setup: makes sure `<dataDir>/admin-token` holds a working admin token. On first start it creates
 * an admin labeler (`name`, default "admin") and writes its token to the file with mode 0600 (atomically: a
 * temporary file in the same folder, then rename). Later starts keep a file whose token still authenticates as an
 * admin; otherwise (say the database was reset) a new token is issued. The token is never logged or returned.
 */
export async function ensureAdminToken(db: Db, dataDir: string, opts: { name?: string } = {}): Promise<EnsureAdminTokenResult> {
  const file = adminTokenPath(dataDir);
  const name = opts.name ?? 'admin';
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    const p = await authenticate(db, existing).catch(() => undefined);
    if (p?.role === 'admin') return { path: file, labelerId: p.labelerId, created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const admin = await db.labeler.findUnique({ where: { name } });
  const issued =
    admin && admin.role === 'admin' && !admin.disabled
      ? await rotateToken(db, { labelerId: admin.id, actor: 'system' })
      : await createLabeler(db, { name: admin ? `${name}-${Date.now().toString(36)}` : name, role: 'admin', actor: 'system' });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dataDir, `.admin-token.${process.pid}.${Date.now()}`);
  fs.writeFileSync(tmp, `${issued.token}\n`, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(tmp, 0o600); // in case a umask widened nothing but the platform ignored mode on create
  fs.renameSync(tmp, file);
  return { path: file, labelerId: issued.labeler.id, created: true };
}
