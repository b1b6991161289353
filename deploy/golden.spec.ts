// The committed outputs are the golden files: a change to a renderer shows up as a reviewed diff
// of docker-compose.yml, the manifests and the CloudFormation templates, never as a silent drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAll, ROOT } from './outputs';
import { spillway } from './spillway';

describe('rendered outputs of the reference definition', () => {
  const outputs = renderAll(spillway);

  it.each(Object.keys(outputs))('%s equals the committed file (run `npm run synth` after a change)', (path) => {
    expect(outputs[path]).toBe(readFileSync(join(ROOT, path), 'utf8'));
  });

  it('is byte-identical from one render to the next', () => {
    expect(renderAll(structuredClone(spillway))).toEqual(outputs);
  });

  it('carries no timestamps', () => {
    for (const content of Object.values(outputs)) expect(content).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });
});
