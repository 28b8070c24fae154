import { z } from 'zod';
import { generateToken, hashToken, tokenPrefix } from '../auth';
import { recordAudit } from '../audit';
import type { Db, Tx } from '../db';
import { AppError } from '../errors';
import { isUniqueViolation } from './internal/pg-error';
import { parseInput } from './internal/parse-input';
import { runTransaction } from './internal/run-transaction';
import { idSchema, textSchema } from './internal/schemas';
import { labelerView, type LabelerView } from './labeler-view';

/** Experiments a labeler may work on: `'*'` or a non-empty list of experiment ids. */
export const scopesSchema = z.union([z.literal('*'), z.array(idSchema).min(1).max(1000)]);

const inputSchema = z.strictObject({
  name: textSchema(100)
    .trim()
    .min(1, { error: 'must not be empty' })
    .refine((s) => !/[\n\r\t]/.test(s), { error: 'must be one line' }),
  role: z.enum(['admin', 'labeler']),
  /** Admins always get '*'. */
  scopes: scopesSchema.optional(),
  actor: z.string().trim().min(1),
});
export type CreateLabelerInput = z.input<typeof inputSchema>;

export interface LabelerWithToken {
  labeler: LabelerView;
  /** The API token, `hone_…`. Returned this once; only its SHA-256 is stored. */
  token: string;
}

/**
 * Creates a labeler (or admin) and its first API token, with a `labeler.created` audit event (which never contains
 * the token). Names are unique (CONFLICT). Scoped experiments must exist.
 */
export async function createLabeler(db: Db, input: CreateLabelerInput): Promise<LabelerWithToken> {
  const args = parseInput(inputSchema, input, 'labeler');
  const scope = args.role === 'admin' ? '*' : (args.scopes ?? '*');
  try {
    return await runTransaction(db, async (tx) => {
      await checkExperimentsExist(tx, scope);
      const labeler = await tx.labeler.create({ data: { name: args.name, role: args.role } });
      const token = generateToken();
      await tx.apiToken.create({ data: { labelerId: labeler.id, tokenHash: hashToken(token), prefix: tokenPrefix(token), scopes: { experiments: scope } } });
      await recordAudit(tx, {
        actor: args.actor,
        action: 'labeler.created',
        subject: { type: 'labeler', id: labeler.id },
        data: { name: args.name, role: args.role, scope, tokenPrefix: tokenPrefix(token) },
      });
      const full = await tx.labeler.findUniqueOrThrow({ where: { id: labeler.id }, include: { tokens: true } });
      return { labeler: labelerView(full), token };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError('CONFLICT', `a labeler named ${JSON.stringify(args.name)} exists already`, { name: args.name });
    throw e;
  }
}

/** NOT_FOUND naming the scoped experiments that do not exist. */
export async function checkExperimentsExist(tx: Tx, scope: '*' | string[]): Promise<void> {
  if (scope === '*') return;
  const found = await tx.experiment.findMany({ where: { id: { in: scope } }, select: { id: true } });
  const missing = scope.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) throw new AppError('NOT_FOUND', `scoped experiment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found`, { missing });
}
