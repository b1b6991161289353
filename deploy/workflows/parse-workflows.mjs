// GitHub's own workflow parser (@actions/workflow-parser, ESM only; a child process since the tests
// ran under jest, which could not load it): parses each file given, converts it to the workflow
// model (job graph, reusable-workflow calls, expressions), and prints {file: [errors]} as JSON.
// Usage: node parse-workflows.mjs <file>...
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { basename } from 'node:path';

register('./json-as-module.mjs', import.meta.url);
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await import('@actions/workflow-parser');

const out = {};
for (const path of process.argv.slice(2)) {
  const file = { name: basename(path), content: readFileSync(path, 'utf8') };
  const parsed = parseWorkflow(file, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  } else if (!errors.length) errors.push('no workflow parsed');
  out[path] = [...new Set(errors)];
}
process.stdout.write(JSON.stringify(out));
