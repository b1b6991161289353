// An EKS target whose broker is BullMQ on ElastiCache (#36 item 3), rendered from the shipped
// definition plus that target as data (deploy/test-targets.ts): its stacks, manifests, scaler and
// cost. Only the stacks that differ from the same target on SQS are validated again (strict
// CloudFormation validator, secret scan); the others are byte-identical to that twin's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LANES } from '@spillway/config/lanes';
import { renderAws } from './aws/app';
import { nagViolations, newValidator, secretValues, templateFindings } from './aws/checks';
import { eksPlan } from './cost/eks-plan';
import { Measured } from './cost/measured';
import { referenceProblems } from './eks/references';
import { kubernetesSchemaProblems } from './eks/schemas';
import { EksTarget } from './model/definition';
import { bullmqWaitList } from './model/redis';
import { targetDefinition } from './model/targets';
import { definitionProblems } from './model/validate';
import { eksPaths, renderEksTarget } from './outputs';
import { withBullmq } from './test-targets';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const def = withBullmq();
const view = targetDefinition(def, 'bullmq', 'eks');
const paths = eksPaths(def, 'bullmq');
const stackOf = (file: string) => file.slice(paths.aws.length + 1).replace('.template.json', '').replace('spillway-bullmq-', '');

/** The same target with an SQS broker: what the BullMQ one is compared with. */
function sqsTwin() {
  const twin = structuredClone(def);
  (twin.targets.bullmq as EksTarget).broker = { kind: 'sqs' };
  return targetDefinition(twin, 'bullmq', 'eks');
}

describe('an EKS target on BullMQ (ElastiCache), from the shipped definition', () => {
  let files: Record<string, string>;
  let twin: Record<string, string>;
  const problems: string[] = [];
  beforeAll(() => {
    files = renderEksTarget(def, 'bullmq', problems);
    twin = renderAws(sqsTwin(), paths.aws, { definitionWide: false });
  }, 300_000);
  const templates = (from: Record<string, string>) => Object.keys(from).filter((p) => p.endsWith('.template.json'));
  const docs = () => parseAllDocuments(files[paths.manifests]).map((d) => d.toJS() as Doc);
  const template = (stack: string) => JSON.parse(files[`${paths.aws}/spillway-bullmq-${stack}.template.json`]) as { Resources: Record<string, Doc> };

  it('is a valid definition; its stacks have the cache and no queues, payload bucket or Lambda workers', () => {
    expect(definitionProblems(def)).toEqual([]);
    expect(problems).toEqual([]);
    expect(templates(files).map(stackOf).sort()).toEqual(['access', 'alarms', 'backups', 'billing', 'cache', 'chaos', 'cluster', 'data', 'network', 'registry']);
    expect(Object.values(template('data').Resources).filter((r) => r.Type === 'AWS::RDS::DBProxy')).toEqual([]);
    const buckets = templates(files).flatMap((p) => Object.values(JSON.parse(files[p]).Resources as Record<string, Doc>)).filter((r) => r.Type === 'AWS::S3::Bucket');
    expect(buckets.map((b) => b.Properties.BucketName)).toEqual(['spillway-bullmq-db-backups-123456789012']);
  });

  it('its pods: QUEUE_DRIVER=bullmq, no payload bucket, every lane on the worker, REDIS_URL from the cache secret, Redis out of their NetworkPolicy', () => {
    const maps = docs().filter((d) => d.kind === 'ConfigMap' && d.data?.QUEUE_DRIVER);
    expect(maps.length).toBeGreaterThanOrEqual(2);
    for (const m of maps) {
      expect(m.data.QUEUE_DRIVER).toBe('bullmq');
      expect(m.data.SQS_PAYLOAD_BUCKET).toBeUndefined();
    }
    expect(maps.find((m) => m.data.WORKER_LANES)!.data.WORKER_LANES).toBe('critical,normal,low');
    const deployments = docs().filter((d) => d.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['absorber-blue', 'worker']);
    for (const d of deployments) {
      const env = d.spec.template.spec.containers[0].env as Doc[];
      expect(env.find((e) => e.name === 'REDIS_URL')).toEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'spillway-bullmq-redis', key: 'REDIS_URL' } } });
    }
    // Their NetworkPolicies let them out to Redis in the VPC (default deny otherwise).
    for (const name of ['absorber', 'worker']) {
      const policy = docs().find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === name)!;
      expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.2.0.0/16' } }], ports: [{ protocol: 'TCP', port: 6379 }] });
    }
    const secret = docs().find((d) => d.kind === 'ExternalSecret' && d.metadata.name === 'spillway-bullmq-redis')!;
    expect(secret.spec.data.map((e: Doc) => `${e.remoteRef.key} ${e.remoteRef.property} -> ${e.secretKey}`)).toEqual([
      'spillway-bullmq/redis REDIS_URL -> REDIS_URL',
      'spillway-bullmq/redis address -> address',
      'spillway-bullmq/redis password -> password',
    ]);
  });

  it('KEDA scales the worker on the length of each lane\'s BullMQ wait list, over TLS, with the cache secret', () => {
    const scaler = docs().find((d) => d.kind === 'ScaledObject')!;
    expect(scaler.spec.triggers).toEqual(
      LANES.map((lane) => ({ type: 'redis', name: lane, authenticationRef: { name: 'spillway-bullmq-redis' }, metadata: { listName: `spillway-bullmq:${lane}:wait`, listLength: '1', enableTLS: 'true' } })),
    );
    expect(LANES.map((l) => bullmqWaitList(view.queuePrefix, l))).toEqual(scaler.spec.triggers.map((t: Doc) => t.metadata.listName));
    const auth = docs().find((d) => d.kind === 'TriggerAuthentication')!;
    expect(auth.spec).toEqual({
      secretTargetRef: [
        { parameter: 'address', name: 'spillway-bullmq-redis', key: 'address' },
        { parameter: 'password', name: 'spillway-bullmq-redis', key: 'password' },
      ],
    });
    expect(JSON.stringify(docs())).not.toContain('aws-sqs-queue');
  });

  it('its manifests pass the schema and reference checks (every Secret, ServiceAccount, TriggerAuthentication named exists)', () => {
    for (const d of docs()) expect(kubernetesSchemaProblems(d)).toEqual([]);
    expect(referenceProblems(docs()).filter((p) => p.includes('spillway-bullmq'))).toEqual([]);
    // The check can fail: the scaler's secret without the key KEDA reads.
    const broken = docs().map((d) => (d.kind === 'ExternalSecret' && d.metadata.name === 'spillway-bullmq-redis' ? { ...d, spec: { ...d.spec, data: d.spec.data.slice(0, 2) } } : d));
    expect(referenceProblems(broken)).toEqual(['TriggerAuthentication spillway-bullmq/spillway-bullmq-redis parameter password: Secret "spillway-bullmq-redis" has no key "password"']);
  });

  it('the cache: AUTH token from a generated secret, TLS, noeviction; the pods\' secret built by CloudFormation', () => {
    const r = Object.values(template('cache').Resources);
    const group = r.find((x) => x.Type === 'AWS::ElastiCache::ReplicationGroup')!.Properties;
    expect(group).toMatchObject({ TransitEncryptionEnabled: true, AtRestEncryptionEnabled: true, MultiAZEnabled: true, NumCacheClusters: 2, Port: 6379, ReplicationGroupId: 'spillway-bullmq-redis' });
    expect(JSON.stringify(group.AuthToken)).toMatch(/^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"Token[0-9A-F]{8}"\},":SecretString:::\}\}"\]\]\}$/);
    expect(r.find((x) => x.Type === 'AWS::ElastiCache::ParameterGroup')!.Properties.Properties).toEqual({ 'maxmemory-policy': 'noeviction' });
    const secrets = r.filter((x) => x.Type === 'AWS::SecretsManager::Secret');
    expect(secrets.map((s) => s.Properties.Name).sort()).toEqual(['spillway-bullmq/cache-auth-token', 'spillway-bullmq/redis']);
    expect(secrets.find((s) => s.Properties.Name === 'spillway-bullmq/cache-auth-token')!.Properties.GenerateSecretString).toEqual({ ExcludePunctuation: true, PasswordLength: 64 });
    const value = JSON.stringify(secrets.find((s) => s.Properties.Name === 'spillway-bullmq/redis')!.Properties.SecretString);
    expect(value).toContain('\\"REDIS_URL\\":\\"rediss://:{{resolve:secretsmanager:');
    expect(value).toContain('{"Fn::GetAtt":["Redis","PrimaryEndPoint.Address"]}');
  });

  it('alarms: each cache node\'s memory instead of the SQS lanes\'; the chaos experiments stop on the 5xx alarm', () => {
    const alarms = Object.values(template('alarms').Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
    const redis = alarms.filter((a) => a.Namespace === 'AWS/ElastiCache');
    expect(redis.map((a) => [a.AlarmName, a.Dimensions[0].Value, a.MetricName, a.Threshold])).toEqual([
      ['spillway-bullmq-redis-001-memory', 'spillway-bullmq-redis-001', 'DatabaseMemoryUsagePercentage', 85],
      ['spillway-bullmq-redis-002-memory', 'spillway-bullmq-redis-002', 'DatabaseMemoryUsagePercentage', 85],
    ]);
    expect(alarms.filter((a) => a.Namespace === 'AWS/SQS')).toEqual([]);
    const stops = Object.values(template('chaos').Resources).filter((r) => r.Type === 'AWS::FIS::ExperimentTemplate').flatMap((r) => r.Properties.StopConditions.map((c: Doc) => JSON.stringify(c.Value)));
    expect(stops.length).toBeGreaterThan(0);
    expect(stops.every((v) => v.includes('spillway-bullmq-ingest-5xx'))).toBe(true);
  });

  it('the stacks that differ from its SQS twin pass the strict CloudFormation validator and hold no secret; cdk-nag passes', () => {
    const differ = templates(files).filter((p) => files[p] !== twin[p]);
    // The rest are the twin's byte for byte, which templates.spec.ts and targets.spec.ts validate.
    expect(differ.map(stackOf).sort()).toEqual(['access', 'alarms', 'cache', 'chaos', 'data']);
    const dir = mkdtempSync(join(tmpdir(), 'spillway-bullmq-'));
    const validator = newValidator();
    try {
      for (const p of differ) {
        const file = join(dir, p);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, files[p]);
        expect([p, templateFindings(validator, file, view.target.region, view.target.accountId)]).toEqual([p, []]);
        expect([p, secretValues(files[p])]).toEqual([p, []]);
      }
    } finally {
      validator.free();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(nagViolations(view, { definitionWide: false })).toEqual([]);
  }, 300_000);

  it('npm run cost prices the two cache nodes and no SQS requests', () => {
    const m: Measured = { sources: [], machineCpus: 2, absorberCpuMsPerRequest: { bullmq: 0.35, sqs: 0.33 }, redisCpuMsPerRequest: 0.05, absorberProcessRps: 3000, workerDrainEventsPerSecond: 34_000, sqsCallsPerEvent: 0.25 };
    for (const rps of [0, 10_000]) {
      const items = eksPlan(view, m, rps).items;
      // eu-central-1: 2 x 0.036 USD x 730 h.
      expect(items.filter((i) => /ElastiCache/.test(i.item))).toEqual([{ item: 'ElastiCache Redis 2 x cache.t4g.small (Multi-AZ)', monthly: 2 * 0.036 * 730 }]);
      expect(items.filter((i) => /SQS|Lambda|RDS Proxy/.test(i.item))).toEqual([]);
    }
    const sqs = eksPlan(sqsTwin(), m, 10_000).items;
    expect(sqs.some((i) => /SQS/.test(i.item))).toBe(true);
    expect(sqs.some((i) => /ElastiCache/.test(i.item))).toBe(false);
  });
});
