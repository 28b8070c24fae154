import { TOKEN_PATTERN, hashToken, type Principal } from '../../../lib/auth';
import type { Db } from '../../../lib/db';
import { authenticate } from '../../../lib/domain';

/**
 * Remembers who a token belongs to for a few seconds, so most requests skip the token lookup. Safe only while
 * something tells it at once when a grant changes: it serves from memory only while *armed* by the auth-change
 * listener (Postgres NOTIFY from triggers on Labeler and ApiToken, see auth-change-listener.ts), and the API's own
 * disable and rotate routes also invalidate synchronously. Disarmed (no listener, or its connection dropped) it
 * looks every token up, as if there were no cache. Unknown or refused tokens are never cached.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  private armed = false;
  /** When the cache was last armed: a lookup that straddles a re-arm is not kept. */
  private armedAt = 0;
  /** Labeler id → time of its last notified change. */
  private readonly changed = new Map<string, number>();
  /** Counters for tests and logs. */
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly db: Db,
    /** How long an entry is trusted, ms (0 = never cache). */
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  /** The principal behind `token` (UNAUTHENTICATED AppError for bad tokens, as `authenticate` throws). */
  async principalFor(token: string): Promise<Principal> {
    if (!this.armed || this.ttlMs <= 0 || !TOKEN_PATTERN.test(token)) return authenticate(this.db, token);
    const key = hashToken(token);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) {
      this.stats.hits++;
      return hit.principal;
    }
    this.stats.misses++;
    const armedAt = this.armedAt;
    const principal = await authenticate(this.db, token);
    // A change notified while we looked the token up may not be reflected in what we read: do not keep it then.
    if (this.armed && this.armedAt === armedAt && this.changedSince(principal.labelerId, now)) return principal;
    if (this.armed && this.armedAt === armedAt) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { principal, until: now + this.ttlMs });
    }
    return principal;
  }

  private changedSince(labelerId: string, t: number): boolean {
    return (this.changed.get(labelerId) ?? 0) >= t;
  }

  /** Forgets every entry of a labeler (their grants changed). */
  invalidateLabeler(labelerId: string): void {
    this.stats.invalidations++;
    const now = Date.now();
    this.changed.set(labelerId, now);
    for (const [k, e] of this.entries) if (e.principal.labelerId === labelerId) this.entries.delete(k);
    // Keep the change log short: entries older than a TTL cannot matter to a lookup in flight.
    if (this.changed.size > 10_000) for (const [id, t] of this.changed) if (t < now - this.ttlMs - 60_000) this.changed.delete(id);
  }

  /** Start serving from memory (the listener is connected and listening). Starts empty. */
  arm(): void {
    this.entries.clear();
    this.armedAt = Date.now();
    this.armed = true;
  }

  /** Stop serving from memory (the listener lost its connection): every request looks its token up again. */
  disarm(): void {
    this.armed = false;
    this.entries.clear();
  }

  get isArmed(): boolean {
    return this.armed;
  }
}
