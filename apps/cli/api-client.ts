import { CliError } from './cli-error';

/** An error answer of the hone API: `{ error: { code, message, details? } }` with its HTTP status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The API did not answer at all (connection refused, reset, timeout). */
export class ApiUnreachableError extends CliError {
  constructor(
    readonly baseUrl: string,
    cause: string,
  ) {
    super(`API not reachable at ${baseUrl} — is \`hone up\` running? (${cause})`);
  }
}

export interface ApiRequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  /** Raw body with its content type (e.g. a spec as application/yaml). */
  body?: { text: string; contentType: string };
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A small client of the hone HTTP API (/api/v1) with a bearer token: JSON in and out, API errors as
 * {@link ApiError}, connection failures as {@link ApiUnreachableError}.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** A client with another token (a labeler's). */
  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = unknown>(method: string, path: string, opts: ApiRequestOptions = {}): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    } else if (opts.body) {
      body = opts.body.text;
      headers['content-type'] = opts.body.contentType;
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiUnreachableError(this.baseUrl, timeout.aborted ? `no answer within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s` : (cause?.code ?? cause?.message ?? (e as Error).message));
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (typeof parsed === 'string' ? parsed.slice(0, 500) : res.statusText), err?.details);
    }
    return { status: res.status, body: parsed as T };
  }

  get<T = unknown>(path: string, opts?: ApiRequestOptions): Promise<T> {
    return this.request<T>('GET', path, opts).then((r) => r.body);
  }

  post<T = unknown>(path: string, json?: unknown, opts?: ApiRequestOptions): Promise<T> {
    return this.request<T>('POST', path, { ...opts, json: json ?? {} }).then((r) => r.body);
  }
}
