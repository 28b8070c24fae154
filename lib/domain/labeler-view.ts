import { scopeFromJson, type Scope } from '../auth';
import type { ApiToken, Labeler } from '../db/generated/client';

export interface LabelerView {
  id: string;
  name: string;
  role: 'admin' | 'labeler';
  disabled: boolean;
  createdAt: Date;
  /** Scope of the current token; [] when the labeler has no active token. */
  scope: Scope;
  /** Non-secret start of the current token. */
  tokenPrefix: string | null;
  lastUsedAt: Date | null;
}

/** The view of a labeler with its tokens (the newest unrevoked one is "current"). */
export function labelerView(l: Labeler & { tokens: ApiToken[] }): LabelerView {
  const current = l.tokens.filter((t) => t.revokedAt === null).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  return {
    id: l.id,
    name: l.name,
    role: l.role,
    disabled: l.disabled,
    createdAt: l.createdAt,
    scope: current ? scopeFromJson(current.scopes) : [],
    tokenPrefix: current?.prefix ?? null,
    lastUsedAt: current?.lastUsedAt ?? null,
  };
}
