import { generateToken, hashToken, scopeFromJson, tokenPrefix } from '../auth';
import { recordAudit } from '../audit';
import type { Db } from '../db';
import { AppError } from '../errors';
import type { LabelerWithToken } from './create-labeler';
import { checkExperimentsExist } from './create-labeler';
import { runTransaction } from './internal/run-transaction';
import { labelerView } from './labeler-view';

/**
 * Replaces a labeler's token: every current token is revoked and a new one issued (returned once), keeping the
 * scope unless a new one is given. A disabled labeler gets no token (INVALID_STATE).
 */
export async function rotateToken(db: Db, input: { labelerId: string; actor: string; scopes?: '*' | string[]; now?: Date }): Promise<LabelerWithToken> {
  const now = input.now ?? new Date();
  return runTransaction(db, async (tx) => {
    const rows = await tx.$queryRaw<{ role: string; disabled: boolean }[]>`SELECT "role"::text AS role, "disabled" FROM "Labeler" WHERE "id" = ${input.labelerId} FOR UPDATE`;
    if (rows.length === 0) throw new AppError('NOT_FOUND', `labeler ${input.labelerId} not found`, { labelerId: input.labelerId });
    if (rows[0].disabled) throw new AppError('INVALID_STATE', `labeler ${input.labelerId} is disabled; it gets no new token`);
    const current = await tx.apiToken.findFirst({ where: { labelerId: input.labelerId, revokedAt: null }, orderBy: { createdAt: 'desc' } });
    const scope = rows[0].role === 'admin' ? '*' : (input.scopes ?? (current ? scopeFromJson(current.scopes) : []));
    if (Array.isArray(scope) && scope.length === 0) throw new AppError('VALIDATION_FAILED', 'the labeler has no current scope; give scopes for the new token');
    await checkExperimentsExist(tx, scope);
    const revoked = await tx.apiToken.updateMany({ where: { labelerId: input.labelerId, revokedAt: null }, data: { revokedAt: now } });
    const token = generateToken();
    await tx.apiToken.create({ data: { labelerId: input.labelerId, tokenHash: hashToken(token), prefix: tokenPrefix(token), scopes: { experiments: scope }, createdAt: now } });
    await recordAudit(tx, { actor: input.actor, action: 'labeler.token_rotated', subject: { type: 'labeler', id: input.labelerId }, data: { revokedTokens: revoked.count, scope, tokenPrefix: tokenPrefix(token) } });
    return { labeler: labelerView(await tx.labeler.findUniqueOrThrow({ where: { id: input.labelerId }, include: { tokens: true } })), token };
  });
}
