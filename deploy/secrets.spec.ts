// No secret value may reach a rendered file: only names and references are rendered.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envFileNames, hetznerSecretNames, renderAll, ROOT } from './outputs';
import { spillway } from './spillway';

const examplePath = join(ROOT, `${spillway.targets.hetzner.envFile}.example`);
const example = readFileSync(examplePath, 'utf8');
const values = example
  .split('\n')
  .filter((l) => l.includes('=') && !l.trim().startsWith('#'))
  .map((l) => l.slice(l.indexOf('=') + 1).trim());

describe('secrets', () => {
  it('the example env file names exactly the secrets the Hetzner stack reads', () => {
    expect(envFileNames(example).sort()).toEqual(hetznerSecretNames(spillway));
    expect(values.every((v) => v.length >= 8)).toBe(true);
  });

  it.each(Object.entries(renderAll(spillway)))('%s contains no secret value from the example env file', (_path, content) => {
    for (const value of values) expect(content).not.toContain(value);
  });

  it('would notice a leak', () => {
    const leaky = structuredClone(spillway);
    leaky.env.FEATURE_TOKEN = values[0];
    const rendered = Object.values(renderAll(leaky)).join('\n');
    expect(rendered).toContain(values[0]);
  });
});
