import { SpillwayDefinition } from './definition';
import { definitionProblems, DefinitionError, validateDefinition } from './validate';
import { spillway } from '../spillway';
import { eksDefinition, targetOf } from './targets';
import { lambdaLanes, podLanes } from './lambda-lanes';

function changed(edit: (d: SpillwayDefinition) => void): SpillwayDefinition {
  const def = structuredClone(spillway);
  edit(def);
  return def;
}

describe('definition validation', () => {
  it('accepts the reference definition', () => {
    expect(definitionProblems(spillway)).toEqual([]);
  });

  it.each<[string, (d: SpillwayDefinition) => void, string]>([
    ['a port out of range', (d) => (d.services[0].port = 70000), 'services[0].port: must be 1-65535'],
    ['an unknown lane', (d) => (d.services[1].lanes = ['urgent' as never]), 'services[1].lanes: unknown lane "urgent"'],
    ['an undeclared secret', (d) => d.services[1].secrets.push('NOPE'), 'services[1].secrets[1]: "NOPE" is not declared'],
    ['a plain value for a secret', (d) => (d.env.DATABASE_URL = 'postgres://x'), 'env.DATABASE_URL: declared in secrets'],
    ['a derived variable set by hand', (d) => (d.services[0].env = { PORT: '1' }), 'services[0].env.PORT: computed from'],
    ['a lane nobody consumes', (d) => (d.services[1].lanes = ['critical', 'normal']), 'services: no worker consumes lane "low"'],
    ['two replicas of a published port', (d) => (targetOf(d, 'hetzner', 'compose').services.absorber.replicas = 2), 'targets.hetzner.services.absorber.replicas: a public service'],
    ['a service the box does not place', (d) => delete targetOf(d, 'hetzner', 'compose').services.worker, 'targets.hetzner.services.worker: missing'],
    ['QUEUE_DRIVER set by hand', (d) => (targetOf(d, 'hetzner', 'compose').env.QUEUE_DRIVER = 'sqs'), "targets.hetzner.env.QUEUE_DRIVER: computed from the definition's typed fields; set those instead (the target's broker)"],
    ['weights for a target without a record', (d) => (d.dns.weights = { hetzner: 100, eks: 0, staging: 0 }), 'dns.weights.staging: no record in dns.records'],
    ['BullMQ on EKS on a node type without TLS in transit', (d) => (targetOf(d, 'eks', 'eks').broker = { kind: 'bullmq', redis: { elasticache: { nodeType: 'cache.t2.micro' } } }), 'targets.eks.broker.redis.elasticache.nodeType: "cache.t2.micro" is not an ElastiCache node type that encrypts in transit'],
    ['REDIS_URL in a service\'s secrets beside an EKS target on BullMQ', (d) => {
      targetOf(d, 'eks', 'eks').broker = { kind: 'bullmq', redis: { elasticache: { nodeType: 'cache.t4g.small' } } };
      d.services[1].secrets.push('REDIS_URL');
    }, "services[1].secrets: REDIS_URL comes from the cache stack's secret on targets.eks"],
    ['BullMQ on EKS without a node type', (d) => (targetOf(d, 'eks', 'eks').broker = { kind: 'bullmq', redis: { elasticache: { nodeType: '' } } }), 'targets.eks.broker.redis.elasticache.nodeType: required'],
    ['a record for no target', (d) => (d.dns.records.mars = 'x.example.com'), 'dns.records.mars: not a target'],
    ['min above max', (d) => (d.services[0].autoscaling.min = 60), 'services[0].autoscaling.max: must be >= min'],
    ['limits below requests', (d) => (d.services[0].resources.limits.cpuMillis = 100), 'services[0].resources.limits.cpuMillis'],
    ['weights not summing to 100', (d) => (targetOf(d, 'eks', 'eks').weights.green = 10), 'targets.eks.weights: blue + green must be 100'],
    ['a route to an unknown lane', (d) => (d.routes['x.y'] = 'fast' as never), 'routes.x.y: unknown lane "fast"'],
    ['an unknown dependency', (d) => d.services[0].dependsOn.push('kafka'), 'services[0].dependsOn[1]: "kafka"'],
    ['an absorber without API keys (it would refuse to start)', (d) => (d.services[0].secrets = ['DATABASE_URL', 'WEBHOOK_SECRET_GITHUB']), 'services[0] (absorber) on hetzner: INGEST_API_KEYS: not set, and NODE_ENV=production requires it'],
    ['an absorber serving metrics on its API port', (d) => (d.services[0].metricsPort = 8080), 'services[0].metricsPort: must differ from port'],
    ['an absorber without a metrics port', (d) => delete d.services[0].metricsPort, 'services[0].metricsPort: the absorber serves /metrics on a port of its own'],
    ['a worker with a separate metrics port', (d) => (d.services[1].metricsPort = 9464), 'services[1].metricsPort: a worker serves /metrics on its port'],
    ['a monitoring container over the box', (d) => (targetOf(d, 'hetzner', 'compose').monitoring.containers.prometheus.resources.limits.memoryMiB = 1024), 'targets.hetzner.box: memory limits add up to 4352 MiB'],
    ['Grafana without its admin password', (d) => (targetOf(d, 'hetzner', 'compose').monitoring.containers.grafana.secrets = []), 'targets.hetzner.monitoring.containers.grafana.secrets: must include GF_SECURITY_ADMIN_PASSWORD'],
    ['Grafana on the published API port', (d) => (targetOf(d, 'hetzner', 'compose').monitoring.ports.grafana = 8080), 'targets.hetzner.monitoring.ports.grafana: 8080 is already published'],
    ['a service holding DATABASE_URL without a pool size', (d) => delete d.services[1].dbPoolMax, 'services[1].dbPoolMax: 1-1000 connections per replica (DB_POOL_MAX), required with DATABASE_URL'],
    ['a pool size on a service that never connects', (d) => (d.services[0].secrets = ['INGEST_API_KEYS', 'WEBHOOK_SECRET_GITHUB']), 'services[0].dbPoolMax: set without DATABASE_URL in its secrets'],
    ['DB_POOL_MAX set by hand', (d) => (d.services[1].env!.DB_POOL_MAX = '5'), 'services[1].env.DB_POOL_MAX: computed from'],
    ['a worker scaling on CPU', (d) => (d.services[1].autoscaling = { min: 1, max: 2, cpuPercent: 50 }), 'services[1].autoscaling: a worker scales on queueDepthPerReplica'],
  ])('names the field for %s', (_what, edit, message) => {
    const problems = definitionProblems(changed(edit));
    expect(problems.some((p) => p.includes(message))).toBe(true);
  });

  const lambda = (edit: (l: NonNullable<SpillwayDefinition['services'][number]['lambda']>) => void) => (d: SpillwayDefinition) => edit(d.services[1].lambda!);
  it.each<[string, (d: SpillwayDefinition) => void, string]>([
    ['a Lambda lane the worker does not consume', (d) => {
      d.services[1].lanes = ['critical', 'normal'];
      d.services.push({ ...structuredClone(d.services[1]), name: 'low-worker', lanes: ['low'], lambda: undefined });
    }, 'services[1].lambda.lanes[0]: "low" is not one of the worker\'s lanes (critical, normal)'],
    ['a timeout past the visibility timeout', lambda((l) => (l.timeoutSeconds = 31)), 'services[1].lambda.timeoutSeconds: 31 s is longer than the lanes\' visibility timeout (leaseMs = 30 s)'],
    ['a FIFO lane with 11 records', lambda((l) => Object.assign(l, { lanes: ['critical'], batchSize: 11, batchingWindowSeconds: 0 })), 'services[1].lambda.batchSize: 1 to 10 (a FIFO lane: critical)'],
    ['a FIFO lane with a batching window', lambda((l) => Object.assign(l, { lanes: ['critical'], batchSize: 10, batchingWindowSeconds: 2 })), 'services[1].lambda.batchingWindowSeconds: must be 0 with a FIFO lane (critical)'],
    ['a standard lane over 10000 records', lambda((l) => (l.batchSize = 10_001)), 'services[1].lambda.batchSize: 1 to 10000'],
    ['more than 10 records without a window', lambda((l) => (l.batchingWindowSeconds = 0)), 'services[1].lambda.batchingWindowSeconds: at least 1 s for a batchSize above 10'],
    ['a maximum concurrency of 1', lambda((l) => (l.maxConcurrency = 1)), 'services[1].lambda.maxConcurrency: 2 to 1000'],
    ['a pool of one connection', lambda((l) => (l.dbPoolMax = 1)), 'services[1].lambda.dbPoolMax: 2 to 20 connections per invocation'],
    ['more connections than the database alarm allows', lambda((l) => Object.assign(l, { maxConcurrency: 200, dbPoolMax: 2 })), 'services: the Lambda lanes may open 400 database connections at full concurrency (low 200 x 2; maxConcurrency x dbPoolMax), over alerts.database.connections (300)'],
    ['Lambda lanes without a proxy', (d) => delete targetOf(d, 'eks', 'eks').aws.database.proxy, 'aws.database.proxy: required when a lane runs on Lambda'],
    ['the proxy as the master user', (d) => (targetOf(d, 'eks', 'eks').aws.database.proxy!.user = 'spillway'), 'aws.database.proxy.user: "spillway" is the RDS master user'],
    ['Lambda on the absorber', (d) => (d.services[0].lambda = structuredClone(d.services[1].lambda)), "services[0].lambda: only a worker's lanes run on Lambda"],
  ])('Lambda lanes: names the field for %s', (_what, edit, message) => {
    const problems = definitionProblems(changed(edit));
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('a worker with every lane on Lambda is valid: its pods are gone on EKS, kept on Hetzner', () => {
    const def = changed((d) => Object.assign(d.services[1].lambda!, { lanes: ['critical', 'normal', 'low'], batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 40 }));
    expect(definitionProblems(def)).toEqual([]);
  });

  it('an EKS target on BullMQ is valid with the Lambda lane: Lambda is fed by SQS, so there the lane runs in the pods', () => {
    const def = changed((d) => (targetOf(d, 'eks', 'eks').broker = { kind: 'bullmq', redis: { elasticache: { nodeType: 'cache.t4g.small' } } }));
    expect(definitionProblems(def)).toEqual([]);
    expect(lambdaLanes(eksDefinition(def))).toEqual([]);
    expect(podLanes(def.services[1], def.targets.eks)).toEqual(['critical', 'normal', 'low']);
  });

  it("runs each service's env through the apps' config loader, per target", () => {
    const problems = definitionProblems(changed((d) => (targetOf(d, 'eks', 'eks').env.LOG_LEVEL = 'loud')));
    expect(problems).toEqual([
      'services[0] (absorber) on eks: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'services[1] (worker) on eks: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      // The Lambda lane's function gets the worker's EKS env too.
      'services[1] (worker) lane low on Lambda: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });

  it('throws one error listing every problem', () => {
    const bad = changed((d) => {
      d.name = 'Bad_Name';
      d.maxAttempts = 0;
    });
    expect(() => validateDefinition(bad)).toThrow(DefinitionError);
    expect(() => validateDefinition(bad)).toThrow(/name: "Bad_Name"[\s\S]*maxAttempts: must be 1-100/);
  });
});
