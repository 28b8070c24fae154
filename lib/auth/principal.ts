/** Which experiments a token may act on: all of them, or a list of ids. */
export type Scope = '*' | string[];

/** Who is calling: the labeler (or admin) behind an API token. */
export interface Principal {
  labelerId: string;
  name: string;
  role: 'admin' | 'labeler';
  scope: Scope;
  tokenId: string;
  /** Non-secret start of the token, for logs and listings. */
  tokenPrefix: string;
}

/** `labeler:<id>`: how a principal appears as an audit actor. */
export function actorOf(p: Pick<Principal, 'labelerId'>): string {
  return `labeler:${p.labelerId}`;
}

/** The scope stored in ApiToken.scopes (`{ experiments: '*' | [...] }`); anything else grants nothing. */
export function scopeFromJson(json: unknown): Scope {
  const e = (json as { experiments?: unknown } | null)?.experiments;
  if (e === '*') return '*';
  if (Array.isArray(e)) return e.filter((x): x is string => typeof x === 'string');
  return [];
}
