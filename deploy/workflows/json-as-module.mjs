// Loader hook for parse-workflows.mjs: @actions/workflow-parser imports its JSON schemas without
// `with { type: 'json' }` (it expects a bundler), which Node refuses; serve them as modules instead.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.json') || !url.startsWith('file:')) return nextLoad(url, context);
  const source = `export default ${await readFile(fileURLToPath(url), 'utf8')};`;
  return { format: 'module', source, shortCircuit: true };
}
