/**
 * `npm run build:workflows`: prebuilds the workflow bundle into dist/workflow-bundle.js, which workers load
 * instead of bundling at start (CONVENTIONS 11). Prints one JSON line: {"bundle": path, "bytes": n, "seconds": s}.
 */
import { buildWorkflowBundle, workflowBundlePath } from './workflow-bundle';

async function main(): Promise<void> {
  const t = Date.now();
  const file = workflowBundlePath();
  const bytes = await buildWorkflowBundle(file);
  process.stdout.write(`${JSON.stringify({ bundle: file, bytes, seconds: Math.round((Date.now() - t) / 100) / 10 })}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
