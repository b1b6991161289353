// docs/aws.md lists every Secrets Manager property the rendered ExternalSecrets map: a property
// missing from the secret fails the whole ExternalSecret, so an operator must know each one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { targetDefinition } from '../model/targets';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { withBullmq } from '../test-targets';
import { manifestObjects } from './chart';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECTION = '## Required Secrets Manager properties';
const DOC = 'docs/aws.md';

/** `secret property` pairs of the section's table (first two columns, backticks removed). */
export function documentedProperties(markdown: string): string[] {
  const start = markdown.indexOf(SECTION);
  if (start < 0) throw new Error(`${DOC}: no "${SECTION}" section`);
  const body = markdown.slice(start + SECTION.length).split(/\n## /)[0];
  return body
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .map((line) => line.split('|').slice(1, 3).map((cell) => cell.trim().replace(/`/g, '')))
    .filter(([secret]) => secret !== 'secret')
    .map(([secret, property]) => `${secret} ${property}`);
}

/** `secret property` pairs every rendered ExternalSecret maps. */
export function mappedProperties(docs: Doc[]): string[] {
  const pairs = docs
    .filter((d) => d.kind === 'ExternalSecret')
    .flatMap((d) => (d.spec?.data ?? []).map((e: Doc) => `${e.remoteRef.key} ${e.remoteRef.property ?? '(whole secret)'}`));
  return [...new Set(pairs)];
}

export function undocumented(mapped: string[], documented: string[]): string[] {
  return mapped.filter((m) => !documented.includes(m)).map((m) => `${m.replace(' ', ': property ')} is mapped by an ExternalSecret but not listed in ${DOC} "${SECTION.slice(3)}"`);
}

const shipped = parseAllDocuments(readFileSync(join(ROOT, OUTPUT_PATHS.manifests), 'utf8')).map((d) => d.toJS() as Doc);
// An EKS target on BullMQ also maps the cache stack's connection secret, named after the target's
// stack prefix: the table lists it as `<aws.stackPrefix>/redis`.
const bullmq = targetDefinition(withBullmq(), 'bullmq', 'eks');
const bullmqSecrets = (manifestObjects(bullmq) as Doc[]).filter((d) => d.kind === 'ExternalSecret').map((d) => JSON.parse(JSON.stringify(d).replaceAll(`"${bullmq.name}/`, '"<aws.stackPrefix>/')) as Doc);
const manifests = [...shipped, ...bullmqSecrets];
const markdown = readFileSync(join(ROOT, DOC), 'utf8');

describe('Secrets Manager properties in docs/aws.md', () => {
  it('lists every property the rendered ExternalSecrets map', () => {
    expect(mappedProperties(manifests)).toEqual(expect.arrayContaining(['spillway/prod WEBHOOK_SECRET_GITHUB', '<aws.stackPrefix>/redis REDIS_URL']));
    expect(undocumented(mappedProperties(manifests), documentedProperties(markdown))).toEqual([]);
  });

  it('lists none the ExternalSecrets no longer map', () => {
    const mapped = mappedProperties(manifests);
    expect(documentedProperties(markdown).filter((d) => !mapped.includes(d))).toEqual([]);
  });

  it('names a mapped property the table leaves out', () => {
    const without = markdown.replace(/^\| `spillway\/prod` \| `WEBHOOK_SECRET_GITHUB` \|.*\n/m, '');
    expect(undocumented(mappedProperties(manifests), documentedProperties(without))).toEqual([
      'spillway/prod: property WEBHOOK_SECRET_GITHUB is mapped by an ExternalSecret but not listed in docs/aws.md "Required Secrets Manager properties"',
    ]);
  });
});
