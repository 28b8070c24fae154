/**
 * Turns zod issues into messages a person can act on (`rounds.count: must be ≥ 1 (got 0)`) and finds their line in
 * the YAML source. zod's own messages ("Too small: expected number to be >=1") name neither the value nor a fix.
 */
import type { z } from 'zod';
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from 'yaml';
import type { SpecIssue } from './spec-error';

type Segment = string | number;

/** `['task', 'topics', 2]` → `task.topics[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(spec)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** A short rendering of the offending value for `(got …)`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 37)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** Plain zod issue shape as reported with `reportInput: true` (kept structural to avoid depending on zod internals). */
interface RawIssue {
  code?: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  values?: unknown[];
  keys?: string[];
  divisor?: number;
}

/** Converts zod issues to {@link SpecIssue}s (one per unknown key), without source positions. */
export function zodIssuesToSpecIssues(issues: readonly RawIssue[], schema: z.ZodType): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const iss of issues) {
    const got = iss.input === undefined ? '' : ` (got ${describeValue(iss.input)})`;
    switch (iss.code) {
      case 'invalid_type': {
        const expected = TYPE_NAMES[iss.expected ?? ''] ?? iss.expected ?? 'another type';
        const message = iss.input === undefined ? 'is required' : `must be ${expected}${got}`;
        out.push({ path: formatPath(iss.path), message });
        break;
      }
      case 'too_small':
      case 'too_big': {
        const small = iss.code === 'too_small';
        const bound = small ? iss.minimum : iss.maximum;
        let message: string;
        if (iss.origin === 'string') {
          message = small && Number(bound) === 1 ? 'must not be empty' : `must be ${small ? 'at least' : 'at most'} ${bound} characters`;
        } else if (iss.origin === 'array') {
          message = `must have ${small ? 'at least' : 'at most'} ${bound} item${Number(bound) === 1 ? '' : 's'}${iss.input !== undefined && Array.isArray(iss.input) ? ` (got ${iss.input.length})` : ''}`;
        } else {
          const op = small ? (iss.inclusive ? '≥' : '>') : iss.inclusive ? '≤' : '<';
          message = `must be ${op} ${bound}${got}`;
        }
        out.push({ path: formatPath(iss.path), message });
        break;
      }
      case 'invalid_value': {
        const values = (iss.values ?? []).map(describeValue);
        const message = values.length === 1 ? `must be ${values[0]}${got}` : `must be one of ${values.join(', ')}${got}`;
        out.push({ path: formatPath(iss.path), message });
        break;
      }
      case 'unrecognized_keys': {
        const expected = expectedKeysAt(schema, iss.path as Segment[]);
        for (const key of iss.keys ?? []) {
          const guess = closest(key, expected);
          const hint = guess ? `did you mean '${guess}'? ` : '';
          const list = expected.length > 0 ? `(${hint}known keys: ${expected.join(', ')})` : '';
          out.push({ path: formatPath([...iss.path, key]), message: `unknown key ${list}`.trim() });
        }
        break;
      }
      case 'not_multiple_of':
        out.push({ path: formatPath(iss.path), message: `must be a multiple of ${iss.divisor}${got}` });
        break;
      case 'invalid_format':
        // Every string format in the schema carries its own message; zod's default names only the regex.
        out.push({ path: formatPath(iss.path), message: iss.message.startsWith('Invalid') ? `has the wrong format${got}` : `${iss.message}${got}` });
        break;
      default:
        out.push({ path: formatPath(iss.path), message: iss.message });
    }
  }
  return out;
}

/** Keys an object schema accepts at `path`, found by unwrapping defaults, optionals and transforms. */
function expectedKeysAt(schema: z.ZodType, path: readonly Segment[]): string[] {
  let node: unknown = schema;
  for (let i = 0; i <= path.length; i++) {
    node = unwrapToContainer(node);
    if (node === undefined) return [];
    if (i === path.length) break;
    const def = (node as { _zod: { def: Record<string, unknown> } })._zod.def;
    const seg = path[i];
    if (def.type === 'object' && typeof seg === 'string') node = (def.shape as Record<string, unknown>)[seg];
    else if (def.type === 'array') node = def.element;
    else return [];
  }
  const def = (node as { _zod: { def: Record<string, unknown> } })._zod.def;
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}

function unwrapToContainer(node: unknown): unknown {
  let cur = node as { _zod?: { def: Record<string, unknown> } } | undefined;
  for (let guard = 0; cur?._zod && guard < 32; guard++) {
    const def = cur._zod.def;
    if (def.type === 'object' || def.type === 'array') return cur;
    cur = (def.innerType ?? def.in) as typeof cur;
  }
  return undefined;
}

/** The known key nearest to a misspelt one (edit distance ≤ a third of its length), if any. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const c of candidates) {
    const d = c.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/**
 * Finds the 1-based line/column of a dotted spec path in the YAML document: the key when the last segment is a
 * mapping key (so an unknown or badly valued key points at its own line), the item for a list index, or the nearest
 * enclosing node when the path does not exist (a missing required value).
 */
export function locatePath(doc: Document, lineCounter: LineCounter, path: string): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let anchor: unknown = node;
  for (const seg of parsePath(path)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (!pair) break;
      anchor = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      anchor = node;
    } else {
      break;
    }
  }
  const range = (anchor as YamlNode | null | undefined)?.range;
  if (!range) return undefined;
  const pos = lineCounter.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/** Inverse of {@link formatPath}. */
function parsePath(path: string): Segment[] {
  if (path === '(spec)') return [];
  const out: Segment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}
