// Every rendered AWS template passes the AWS CloudFormation validator (strict), cdk-nag's
// AwsSolutions rules (every exception acknowledged with its reason beside the resource), and
// carries no secret value. Runs on the committed files: what deploys is what is checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../outputs';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { AWS_RENDERED } from './app';
import { newValidator, nagViolations, renderedTemplates, secretValues, templateFindings } from './checks';

const spillway = eksDefinition(definition);

const dir = join(ROOT, AWS_RENDERED);
const templates = renderedTemplates(dir);
const { region, accountId } = spillway.target;

describe('rendered AWS templates', () => {
  const validator = newValidator();
  afterAll(() => validator.free());

  it('are the stacks of the reference definition', () => {
    expect(templates.map((t) => t.replace('.template.json', ''))).toEqual(
      ['access', 'alarms', 'backups', 'billing', 'chaos', 'ci', 'cluster', 'data', 'edge', 'move-path', 'network', 'queues', 'registry', 'workers'].map((s) => `spillway-${s}`),
    );
  });

  it.each(templates)('%s: no finding from @aws/cloudformation-validate in strict mode', (file) => {
    expect(templateFindings(validator, join(dir, file), region, accountId)).toEqual([]);
  });

  it('the validator does report a broken template (it can fail)', () => {
    const broken = join(ROOT, 'deploy/aws/fixtures/broken.template.json');
    expect(templateFindings(validator, broken, region, accountId).join('\n')).toMatch(/StorageEncrypted|E3|F3/);
  });

  it.each(templates)('%s: no secret value', (file) => {
    expect(secretValues(readFileSync(join(dir, file), 'utf8'))).toEqual([]);
  });

  it('the secret scan sees a literal password and an access key', () => {
    const bad = { Resources: { Db: { Properties: { MasterUserPassword: 'hunter22', Tags: [{ Value: 'AKIAABCDEFGHIJKLMNOP' }] } } } };
    expect(secretValues(JSON.stringify(bad))).toEqual(['MasterUserPassword: not a Secrets Manager reference', 'AKIAABCDEFGHIJKLMNOP...: a credential']);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('the reference definition: every finding acknowledged with a reason', () => {
    expect(nagViolations(spillway)).toEqual([]);
  });

  it('Auto Mode, per-AZ NAT, VPC endpoints, a cache and two replicas: the same', () => {
    const def = structuredClone(spillway);
    def.target.aws.cluster.compute = 'auto-mode';
    def.target.aws.network = { natGateways: 'per-az', vpcEndpoints: ['sqs', 'ecr', 'secretsmanager', 'sts', 'logs'] };
    def.target.aws.database.readReplicas = 2;
    def.target.broker = { kind: 'bullmq', redis: { elasticache: { nodeType: 'cache.t4g.small' } } };
    expect(nagViolations(def)).toEqual([]);
  });

  it('no Lambda lane, and two Lambda lanes (one FIFO) on x86_64: the same', () => {
    const none = structuredClone(spillway);
    delete none.services.find((s) => s.name === 'worker')!.lambda;
    expect(nagViolations(none)).toEqual([]);
    const two = structuredClone(spillway);
    const worker = two.services.find((s) => s.name === 'worker')!;
    worker.lambda = { ...worker.lambda!, lanes: ['critical', 'low'], batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 20, architecture: 'x86_64' };
    expect(nagViolations(two)).toEqual([]);
  });

  it('catches a single-AZ database (it can fail)', () => {
    const def = structuredClone(spillway);
    def.target.aws.database.multiAz = false;
    expect(nagViolations(def)).toEqual([expect.stringMatching(/^AwsSolutions-RDS3 spillway-data\/Primary/)]);
  });
});
