import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

type Case = [file: string, code: string];

/**
 * The errors `npm run lint` reports for each snippet, placed at its file path, from one ESLint
 * process (its API in plain Node, as when the tests ran under jest, which could not import the ESM config).
 */
function lint(cases: Case[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const eslint = new ESLint({ cwd: process.cwd() });
    Promise.all(cases.map(([file, code]) => eslint.lintText(code, { filePath: file }))).then((results) => {
      process.stdout.write(JSON.stringify(results.map(([r]) => r.messages.filter((m) => m.severity === 2).map((m) => m.ruleId + ': ' + m.message))));
    });`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(cases), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint failed (status ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const REFUSED: Case[] = [
    ['apps/absorber/src/fixture.ts', "import { SqsDriver } from '../../../libs/queue/src/sqs/sqs.driver';"],
    ['apps/worker/src/fixture.ts', "import { BullmqDriver } from '../../../libs/queue/src/bullmq/bullmq.driver';"],
    ['apps/cli/src/fixture.ts', "export { queueName } from '@spillway/queue/sqs/sqs-names';"],
    ['apps/worker/src/lambda/lambda-worker.module.ts', "import { SqsDriver } from '../../../../libs/queue/src/sqs/sqs.driver';"],
    ['deploy/model/fixture.ts', "import { IngestService } from '../../apps/absorber/src/ingest/ingest.service';"],
    ['deploy/model/validate.ts', "import { IngestService } from '../../apps/absorber/src/ingest/ingest.service';"],
    // The two reads issue #36 once let through: their modules now live in libs/, and no file of deploy/ is excepted.
    ['deploy/model/validate.ts', "import { loadLambdaConfig } from '../../apps/worker/src/lambda/lambda-config';"],
    ['deploy/cost/sqs-calls.ts', "import { SHEDDER_SAMPLING } from '../../apps/absorber/src/ingest/lane-shedder';"],
    // The console reads the definition's targets as a rendered file, never as code.
    ['apps/console/src/sides.ts', "import { spillway } from '../../../deploy/spillway';"],
    ['libs/config/src/fixture.ts', "import { targetEntries } from '../../../deploy/targets-file';"],
];
const ALLOWED: Case[] = [
    ['apps/absorber/src/fixture.ts', "import { QUEUE_DRIVER } from '../../../libs/queue/src';"],
    ['apps/absorber/src/fixture.ts', "import { QUEUE_DRIVER } from '@spillway/queue';"],
    ['apps/dev/src/fixture.ts', "import { SqsDriver } from '../../../libs/queue/src/drivers';"],
    ['apps/worker/src/lambda/lambda-worker.module.ts', "import { SqsBatchConsumer } from '../../../../libs/queue/src/lambda';"],
    ['deploy/eks/fixture.ts', "import { Deployment } from 'kubernetes-models/apps/v1';"],
    ['deploy/model/validate.ts', "import { loadLambdaConfig } from '@spillway/config/lambda-config';"],
    ['deploy/cost/sqs-calls.ts', "import { SHEDDER_SAMPLING } from '@spillway/queue/shedder-sampling';"],
    ['test/fixture.ts', "import { SqsDriver } from '../libs/queue/src/sqs/sqs.driver';"],
];

describe('import boundaries (eslint.config.mjs)', () => {
  let refused: string[][];
  let allowed: string[][];
  beforeAll(() => {
    const all = lint([...REFUSED, ...ALLOWED]);
    refused = all.slice(0, REFUSED.length);
    allowed = all.slice(REFUSED.length);
  });

  it.each(REFUSED.map((c, i) => [...c, i] as const))('refuses %s: %s', (_file, _code, i) => {
    expect(refused[i]).toEqual([expect.stringMatching(/^no-restricted-imports: /)]);
  });

  it.each(ALLOWED.map((c, i) => [...c, i] as const))('allows %s: %s', (_file, _code, i) => {
    expect(allowed[i]).toEqual([]);
  });
});

describe('nest-cli.json', () => {
  it('lists every project under apps/ and libs/', () => {
    const { projects } = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as { projects: Record<string, { root: string }> };
    const dirs = ['apps', 'libs'].flatMap((d) => readdirSync(join(ROOT, d), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${d}/${e.name}`));
    expect(Object.values(projects).map((p) => p.root).sort()).toEqual(dirs.sort());
  });
});
