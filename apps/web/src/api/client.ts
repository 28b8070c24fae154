/**
 * A small fetch wrapper for the hone API: bearer token, JSON in and out, errors as {@link ApiError} carrying the
 * server's code and message (the UI shows them as they are), and retries for requests that are safe to repeat.
 */
import type { ApiErrorBody } from './types';

/** Codes the client itself produces (the server's own codes come from lib/errors). */
export type ClientErrorCode = 'NETWORK' | 'BAD_RESPONSE';

/** An answer that was not 2xx, or no answer at all (`code: 'NETWORK'`, `status: 0`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth repeating the same request: nothing came back, or the server said a dependency was briefly down. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface RequestOptions {
  /** A JSON body. */
  json?: unknown;
  /** A raw body with its content type. */
  raw?: { body: string; contentType: string };
  signal?: AbortSignal;
  /**
   * Attempts for transient failures (network, 502–504), with backoff. Only for requests whose repetition is harmless:
   * GETs, and ranking submissions (stored once per task and labeler; a replay answers 200).
   */
  attempts?: number;
  /** Called before each retry, e.g. to show "reconnecting…". */
  onRetry?: (attempt: number, error: ApiError) => void;
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    });
  });

export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    /** Delay before retry n (1-based), ms. */
    private readonly backoffMs: (attempt: number) => number = (n) => Math.min(4000, 400 * 2 ** (n - 1)),
  ) {}

  get<T>(path: string, opts: Omit<RequestOptions, 'json' | 'raw'> = {}): Promise<T> {
    return this.request<T>('GET', path, { attempts: 3, ...opts });
  }

  post<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, opts);
  }

  async request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<T> {
    const attempts = Math.max(1, opts.attempts ?? 1);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, opts);
      } catch (e) {
        if (!(e instanceof ApiError) || !e.transient || attempt >= attempts || opts.signal?.aborted) throw e;
        opts.onRetry?.(attempt, e);
        await sleep(this.backoffMs(attempt), opts.signal);
      }
    }
  }

  private async once<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.raw) {
      headers['content-type'] = opts.raw.contentType;
      body = opts.raw.body;
    }
    let res: Response;
    try {
      res = await this.fetchImpl(path, { method, headers, body, signal: opts.signal, cache: 'no-store' });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new ApiError(0, 'NETWORK', 'cannot reach the hone server; check your connection');
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined && text !== '') throw new ApiError(res.status, 'BAD_RESPONSE', `the server answered ${res.status} with something that is not JSON`);
      return parsed as T;
    }
    const err = (parsed as ApiErrorBody | undefined)?.error;
    if (err && typeof err.code === 'string' && typeof err.message === 'string') throw new ApiError(res.status, err.code, err.message, err.details);
    throw new ApiError(res.status, res.status >= 500 ? 'BAD_RESPONSE' : 'HTTP_' + res.status, `the server answered ${res.status} ${res.statusText}`.trim());
  }
}
