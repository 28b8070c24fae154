/** The logger the server writes to: one line per event, never a secret. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

const SECRET_KEY = /token|authorization|secret|password|cookie/i;
const TOKEN_VALUE = /hone_[A-Za-z0-9_-]{20,}/g;

/**
 * Makes a value safe to log: fields whose names suggest secrets are dropped, anything that looks like an API token
 * is masked, errors become { name, message, code }.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return value.replace(TOKEN_VALUE, 'hone_[redacted]');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redact(value.message, depth + 1), ...(code !== undefined ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && k !== 'tokenPrefix' ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

/** JSON-lines logger on stderr (or `write`), at `level` and above, redacting every field. */
export function createJsonLogger(opts: { level?: LogLevel; write?: (line: string) => void; name?: string } = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const f = fields ? (redact(fields) as Record<string, unknown>) : {};
    write(`${JSON.stringify({ time: new Date().toISOString(), level, name: opts.name ?? 'hone-server', msg: redact(message), ...f })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
