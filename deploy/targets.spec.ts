// Targets by name and kind (#36): a second EKS target is data, not code. The shipped definition
// plus a `staging` entry renders through the same renderers; its files are its own (namespace,
// stack names, queue prefix) and pass the checks the shipped EKS target's files pass.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { newValidator, nagViolations, secretValues, templateFindings } from './aws/checks';
import { referenceProblems } from './eks/references';
import { kubernetesSchemaProblems } from './eks/schemas';
import { EksTarget } from './model/definition';
import { targetDefinition } from './model/targets';
import { definitionProblems } from './model/validate';
import { eksPaths, renderAll, ROOT, TARGETS_DIR } from './outputs';
import { spillway } from './spillway';
import { withStaging } from './test-targets';
import { staleOutputs } from './synth';
import { TARGETS_FILE } from './targets-file';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a second EKS target, by name', () => {
  const def = withStaging();
  const staging = targetDefinition(def, 'staging', 'eks');
  let outputs: Record<string, string>;
  beforeAll(() => {
    outputs = renderAll(def);
  }, 600_000);

  const paths = eksPaths(def, 'staging');
  const templates = () => Object.keys(outputs).filter((p) => p.startsWith(`${paths.aws}/`) && p.endsWith('.template.json'));
  const docs = () => parseAllDocuments(outputs[paths.manifests]).map((d) => d.toJS() as Doc);

  it('is a valid definition, and leaves every file of the shipped targets as committed', () => {
    expect(definitionProblems(def)).toEqual([]);
    // The targets file lists every target (the console reads it): the one shipped file that gains staging.
    const shipped = Object.fromEntries(Object.entries(outputs).filter(([p]) => !p.startsWith(`${TARGETS_DIR}/`) && p !== TARGETS_FILE));
    expect(staleOutputs(shipped)).toEqual([]);
    expect(JSON.parse(outputs[TARGETS_FILE])).toEqual({
      hetzner: { kind: 'compose', driver: 'bullmq' },
      eks: { kind: 'eks', driver: 'sqs' },
      staging: { kind: 'eks', driver: 'sqs', prefix: 'spillway-staging', bucket: 'spillway-staging-payloads-123456789012' },
    });
    expect(paths).toEqual({ manifests: 'deploy/targets/staging/staging.k8s.yaml', aws: 'deploy/targets/staging/aws', primary: false });
  });

  it('its own namespace, stack names and queue prefix', () => {
    const namespaced = docs().filter((d) => d.metadata?.namespace !== undefined);
    expect(namespaced.length).toBeGreaterThan(10);
    expect([...new Set(namespaced.map((d) => d.metadata.namespace))]).toEqual(['spillway-staging']);
    const stacks = templates().map((p) => p.slice(paths.aws.length + 1).replace('.template.json', ''));
    expect(stacks.every((s) => s.startsWith('spillway-staging-'))).toBe(true);
    // The definition-wide stacks (certificate of the public name, release roles, move path) stay with the primary EKS target.
    expect(stacks.map((s) => s.replace('spillway-staging-', '')).sort()).toEqual(['access', 'alarms', 'backups', 'billing', 'chaos', 'cluster', 'data', 'network', 'queues', 'registry', 'workers']);
    const queues = JSON.parse(outputs[`${paths.aws}/spillway-staging-queues.template.json`]).Resources as Record<string, Doc>;
    const names = Object.values(queues).filter((r) => r.Type === 'AWS::SQS::Queue').map((r) => r.Properties.QueueName).sort();
    expect(names).toEqual(['spillway-staging-critical-dlq.fifo', 'spillway-staging-critical.fifo', 'spillway-staging-low', 'spillway-staging-low-dlq', 'spillway-staging-normal', 'spillway-staging-normal-dlq']);
    const env = docs().find((d) => d.kind === 'ConfigMap' && d.data?.WORKER_LANES !== undefined)!.data;
    expect(env).toMatchObject({ QUEUE_PREFIX: 'spillway-staging', QUEUE_DRIVER: 'sqs', SQS_PAYLOAD_BUCKET: 'spillway-staging-payloads-123456789012' });
  });

  it('its manifests pass the schema and reference checks', () => {
    for (const d of docs()) expect(kubernetesSchemaProblems(d)).toEqual([]);
    // Objects Helm and the add-ons make are in their own namespaces; within the target's own, every reference resolves.
    const own = referenceProblems(docs()).filter((p) => p.includes('spillway-staging'));
    expect(own).toEqual([]);
  });

  it('its templates pass the strict CloudFormation validator and cdk-nag, and hold no secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-staging-'));
    const validator = newValidator();
    try {
      for (const p of templates()) {
        const file = join(dir, p);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, outputs[p]);
        expect([p, templateFindings(validator, file, staging.target.region, staging.target.accountId)]).toEqual([p, []]);
        expect(secretValues(outputs[p])).toEqual([]);
      }
    } finally {
      validator.free();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(nagViolations(staging, { definitionWide: false })).toEqual([]);
  }, 300_000);

  it('a second target sharing stack names or queues with the first is refused, naming both', () => {
    const clash = withStaging();
    const t = clash.targets.staging as EksTarget;
    t.aws.stackPrefix = 'spillway';
    delete t.queuePrefix;
    expect(definitionProblems(clash)).toEqual(
      expect.arrayContaining(['targets.staging.aws.stackPrefix: "spillway" is also targets.eks\'s', 'targets.staging.queuePrefix: "spillway" is also targets.eks\'s']),
    );
  });
});

// The committed definition keeps its rendered outputs where they were (ROOT is the repository).
it('the shipped definition has no target outside the kinds with renderers', () => {
  expect(Object.values(spillway.targets).map((t) => t.kind)).toEqual(['compose', 'eks']);
  expect(readFileSync(join(ROOT, 'deploy/traffic.json'), 'utf8')).toMatch(/"hetzner": \d+,\n {2}"eks": \d+/);
});
