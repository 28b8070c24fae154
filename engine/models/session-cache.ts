import type * as ort from 'onnxruntime-node';
import { type SessionOptions, createSession } from '../onnx/session';

/** Platform default: do not spin idle intra-op threads (the engine shares the CPU with other work). */
export const PLATFORM_SESSION_OPTIONS: Readonly<SessionOptions> = { threads: 2, spinning: false };

/**
 * onnxruntime sessions keyed by what they compute, e.g. `sft-train:B16:T48` or `decode:weights@3`. Training graphs
 * have static shapes, so a trainer keeps one session per (graph kind, batch, length bucket) and reuses it every
 * step; building the graph and creating the session happen once per key. Concurrent requests for the same key
 * share one creation.
 */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Number of sessions created so far (for tests and logs). */
  created = 0;

  constructor(readonly options: SessionOptions = PLATFORM_SESSION_OPTIONS) {}

  /** The session for `key`, building the model with `build()` the first time. */
  get(key: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = Promise.resolve()
        .then(() => createSession(build(), this.options))
        .then((session) => {
          this.created++;
          return session;
        });
      // a failed build must not stay cached
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Whether a session for `key` exists or is being created. */
  has(key: string): boolean {
    return this.sessions.has(key);
  }

  /** Releases and forgets the session for `key` (e.g. an inference session whose baked-in weights changed). */
  async delete(key: string): Promise<void> {
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    if (s) await (await s).release();
  }

  /** Releases and forgets every session whose key starts with `prefix` (all of them by default). */
  async clear(prefix = ''): Promise<void> {
    for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) await this.delete(key);
  }

  get size(): number {
    return this.sessions.size;
  }
}
