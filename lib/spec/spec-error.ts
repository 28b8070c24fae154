/** One problem in a spec: where it is (dotted path, and the line when the spec came from YAML text) and what is wrong. */
export interface SpecIssue {
  /** Dotted path into the spec, e.g. `rounds.count` or `task.topics[2]`; `(spec)` for the whole document. */
  path: string;
  /** What is wrong, phrased to follow the path: `must be ≥ 1 (got 0)`. */
  message: string;
  /** 1-based line and column in the source text, when known. */
  line?: number;
  column?: number;
}

/**
 * Thrown when a spec is not valid. Carries every problem found (not only the first), so a person fixes them in
 * one edit. `code` is the error-vocabulary code that activities mark non-retryable and HTTP maps to 400.
 */
export class SpecError extends Error {
  readonly code = 'SPEC_INVALID' as const;
  readonly issues: readonly SpecIssue[];
  readonly source: string;

  constructor(issues: readonly SpecIssue[], source: string) {
    super(formatSpecIssues(issues, source));
    this.name = 'SpecError';
    this.issues = issues;
    this.source = source;
  }
}

/** Renders issues one per line: `demo.yaml:12:3 rounds.count: must be ≥ 1 (got 0)`. */
export function formatSpecIssues(issues: readonly SpecIssue[], source: string): string {
  const n = issues.length;
  const lines = issues.map((i) => {
    const where = i.line !== undefined ? `${source}:${i.line}:${i.column ?? 1}` : source;
    return `  ${where} ${i.path}: ${i.message}`;
  });
  return `invalid experiment spec ${source} (${n} problem${n === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}
