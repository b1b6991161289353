// Placeholder for lrun's bundler (issue 20): same signature, writes a tiny valid handler so the
// workers stack can be rendered and checked before the real esbuild bundle is merged.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<outDir>/index.js` exporting `handler` (the function's handler is `index.handler`). */
export function bundleWorkerLambda(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'index.js'), 'exports.handler = async () => ({ batchItemFailures: [] });\n');
}
