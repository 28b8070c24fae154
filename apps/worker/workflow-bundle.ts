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
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, outFile);
  return Buffer.byteLength(code);
}

/**
 * The workflow code for a worker: the prebuilt bundle when it exists and is newer than the workflow sources
 * (production: start fast, run exactly what was built), else a bundle built now in memory — `say` explains why.
 */
export async function workflowBundleForWorker(say: (message: string) => void, file = workflowBundlePath()): Promise<{ option: WorkflowBundleOption; prebuilt: boolean }> {
  const root = projectRoot();
  if (fs.existsSync(file)) {
    const built = fs.statSync(file).mtimeMs;
    const sources = fs.existsSync(path.join(root, 'workflows')) ? newestSourceMtime(root) : 0;
    if (sources <= built) return { option: { codePath: file }, prebuilt: true };
    say(`workflow bundle ${file} is older than the workflow sources; bundling at start instead (run \`npm run build:workflows\` to refresh it)`);
  } else {
    say(`no prebuilt workflow bundle at ${file}; bundling at start (run \`npm run build:workflows\` to prebuild it)`);
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(root), logger: quietBundlerLogger });
  return { option: { code }, prebuilt: false };
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
