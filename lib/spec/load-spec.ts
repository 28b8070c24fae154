import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ExperimentSpec } from './experiment-spec-schema';
import { parseSpec } from './parse-spec';

/**
 * Reads and validates a spec file. Relative paths inside it (model.onnxFolder) are resolved against the file's
 * directory, so `hone run specs/x.yaml` works from any working directory.
 *
 * @throws {SpecError} when the content is invalid; a plain Error naming the file when it cannot be read.
 */
export async function loadSpec(file: string): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new Error(`cannot read experiment spec '${file}': ${why}`, { cause: e });
  }
  return parseSpec(text, { source: path.basename(file), baseDir: path.dirname(path.resolve(file)) });
}
