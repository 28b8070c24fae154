import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { experimentSpecSchema, type ExperimentSpec } from './experiment-spec-schema';
import { SpecError, type SpecIssue } from './spec-error';
import { locatePath, zodIssuesToSpecIssues } from './spec-issues';

/** Specs are hand-written; anything this large is a mistake (or an attack on the YAML parser). */
const MAX_SPEC_BYTES = 256 * 1024;

export interface ParseSpecOptions {
  /** Names the spec in error messages (a file name, `request body`, …). Default `spec`. */
  source?: string;
  /** Directory that relative paths in the spec (model.onnxFolder) are resolved against; unset = left as written. */
  baseDir?: string;
}

/**
 * Parses and validates an experiment spec written in YAML (JSON is YAML too) and fills in every default.
 *
 * @throws {SpecError} listing every problem found, each with its dotted path, a message and (when known) its line.
 */
export function parseSpec(text: string, options: ParseSpecOptions = {}): ExperimentSpec {
  const source = options.source ?? 'spec';
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    throw new SpecError([{ path: '(spec)', message: `is larger than ${MAX_SPEC_BYTES / 1024} KiB` }], source);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: SpecIssue[] = doc.errors.map((e) => ({
      path: '(yaml)',
      // The first line of yaml's message is the problem; the rest is a code frame we replace with line/column.
      message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
      line: e.linePos?.[0].line,
      column: e.linePos?.[0].col,
    }));
    throw new SpecError(issues, source);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new SpecError([{ path: '(yaml)', message: (e as Error).message }], source);
  }
  if (raw === null || raw === undefined) {
    throw new SpecError([{ path: '(spec)', message: "is empty: at least 'name: <experiment-name>' is required" }], source);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SpecError([{ path: '(spec)', message: `must be a mapping of sections (name, model, rounds, …), got ${Array.isArray(raw) ? 'a list' : typeof raw}`, line: 1, column: 1 }], source);
  }

  const issues: SpecIssue[] = trainerSectionIssues(raw as Record<string, unknown>);
  const result = experimentSpecSchema.safeParse(raw, { reportInput: true });
  if (!result.success) issues.push(...zodIssuesToSpecIssues(result.error.issues, experimentSpecSchema));
  if (issues.length > 0 || !result.success) {
    for (const issue of issues) Object.assign(issue, locatePath(doc, lineCounter, issue.path));
    issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    throw new SpecError(issues, source);
  }
  const spec = result.data;
  if (options.baseDir !== undefined && spec.model.source === 'onnx') {
    return { ...spec, model: { ...spec.model, onnxFolder: path.resolve(options.baseDir, spec.model.onnxFolder) } };
  }
  return spec;
}

/**
 * A section for the trainer that will not run is almost always a mistake (settings silently ignored), so it is an
 * error. Checked on the raw document because after defaults every section is present.
 */
function trainerSectionIssues(raw: Record<string, unknown>): SpecIssue[] {
  const trainer = raw.trainer ?? 'ppo';
  if (trainer === 'ppo' && raw.dpo !== undefined) return [{ path: 'dpo', message: "is set but trainer is 'ppo': add 'trainer: dpo' or remove this section" }];
  if (trainer === 'dpo' && raw.ppo !== undefined) return [{ path: 'ppo', message: "is set but trainer is 'dpo': remove this section or set 'trainer: ppo'" }];
  return [];
}
