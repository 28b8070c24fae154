import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { projectRoot } from '../../lib/services';

/** Where `npm run build:workflows` writes the prebuilt workflow bundle. */
export function workflowBundlePath(root = projectRoot()): string {
  return path.join(root, 'dist', 'workflow-bundle.js');
}

/** The workflow entry the bundle is built from (workflows/index.ts). */
export function workflowsEntry(root = projectRoot()): string {
  return path.join(root, 'workflows', 'index.ts');
}

/** Newest modification time of the workflow sources and what they import from the repository (contract, spec summary). */
function newestSourceMtime(root: string): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__fixtures__') visit(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        newest = Math.max(newest, fs.statSync(p).mtimeMs);
      }
    }
  };
  visit(path.join(root, 'workflows'));
  for (const f of ['activities/experiment-activity-types.ts', 'lib/spec/spec-summary.ts']) {
    const p = path.join(root, f);
    if (fs.existsSync(p)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Bundles the workflows (webpack, via the SDK) and writes the code to `outFile`; returns its size in bytes. */
export async function buildWorkflowBundle(outFile = workflowBundlePath()): Promise<number> {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: quietBundlerLogger });
  writeAtomically(outFile, code);
  return Buffer.byteLength(code);
}

/**
 * The workflow code for a worker: the prebuilt bundle when it exists and is newer than the workflow sources
 * (production: start fast, run exactly what was built), else a bundle built now — `say` explains why. A bundle
 * built at start is also written to `file`, so the next start (e.g. the second `hone up` of a fresh checkout) skips
 * the ~10 s of bundling; where `file` cannot be written the code is used from memory.
 */
export async function workflowBundleForWorker(say: (message: string) => void, file = workflowBundlePath()): Promise<{ option: WorkflowBundleOption; prebuilt: boolean }> {
  const root = projectRoot();
  if (fs.existsSync(file)) {
    const built = fs.statSync(file).mtimeMs;
    const sources = fs.existsSync(path.join(root, 'workflows')) ? newestSourceMtime(root) : 0;
    if (sources <= built) return { option: { codePath: file }, prebuilt: true };
    say(`workflow bundle ${file} is older than the workflow sources; bundling at start instead, and saving it there for the next start`);
  } else {
    say(`no prebuilt workflow bundle at ${file}; bundling at start, and saving it there for the next start (\`npm run build:workflows\` prebuilds it)`);
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(root), logger: quietBundlerLogger });
  try {
    writeAtomically(file, code);
  } catch (e) {
    say(`could not save the workflow bundle to ${file} for the next start (${e instanceof Error ? e.message : String(e)}); using it from memory`);
  }
  return { option: { code }, prebuilt: false };
}

/** Writes `code` to `file` through a temporary name, so a reader never sees half a bundle. */
function writeAtomically(file: string, code: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
}

const noop = () => undefined;
/** The bundler logs every webpack step at info level: keep only problems. */
const quietBundlerLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (m: string) => process.stderr.write(`[workflow bundler] ${m}\n`),
  error: (m: string) => process.stderr.write(`[workflow bundler] ${m}\n`),
};
