import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { SpecError, parseSpec } from '../../../lib/spec';
import type { ExperimentRow } from '../api-types';
import { JSON_FLAG, parseCommand } from '../cli-args';
import { adminApi, type CliContext } from '../cli-context';
import { CliError } from '../cli-error';
import { statusCommand } from './status';

const USAGE = 'hone run <spec.yaml> [--no-start] [--watch] [--json]';

/**
 * Reads and checks a spec file (errors name the file, line and field) and returns the YAML to send: relative
 * `model.onnxFolder` paths are made absolute against the spec's folder, since the worker resolves them elsewhere.
 */
export function readSpecFile(file: string): { yaml: string; name: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read spec ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let spec;
  try {
    spec = parseSpec(text, { source: file });
  } catch (e) {
    if (e instanceof SpecError) throw new CliError(e.message);
    throw e;
  }
  if (spec.model.source === 'onnx' && !path.isAbsolute(spec.model.onnxFolder)) {
    const doc = parseDocument(text);
    doc.setIn(['model', 'onnxFolder'], path.resolve(path.dirname(file), spec.model.onnxFolder));
    text = doc.toString();
  }
  return { yaml: text, name: spec.name };
}

/** `hone run <spec>`: launches an experiment through the API (validated here first) and prints its id. */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, { ...JSON_FLAG, 'no-start': { type: 'boolean' }, watch: { type: 'boolean', short: 'w' } }, { min: 1, max: 1 }, USAGE);
  const { yaml } = readSpecFile(positionals[0]);
  const answer = await adminApi(ctx).post<{ experiment: ExperimentRow; workflowId: string; started: boolean; specHash: string }>('/api/v1/experiments', { spec: yaml, start: !values['no-start'] });
  if (values.json) ctx.stdout(`${JSON.stringify(answer)}\n`);
  else {
    ctx.stdout(`${answer.experiment.id}\n`);
    ctx.stderr(`launched ${answer.experiment.name} as ${answer.experiment.id}${answer.started ? ` (workflow ${answer.workflowId})` : ' (not started: POST …/start to start it)'}\n`);
    if (!values.watch) ctx.stderr(`follow it with: hone status ${answer.experiment.id} --watch\n`);
  }
  if (values.watch) return statusCommand(ctx, [answer.experiment.id, '--watch']);
  return 0;
}
