// Definitions the specs render beside the shipped one: the shipped definition plus one more EKS
// target, as data. No renderer knows these targets; each spec checks what they render.
import { EksTarget, SpillwayDefinition } from './model/definition';
import { spillway } from './spillway';

/** The shipped definition with a staging EKS target beside the production one (no public traffic: not in dns.records). */
export function withStaging(def: SpillwayDefinition = spillway): SpillwayDefinition {
  const next = structuredClone(def);
  const eks = next.targets.eks as EksTarget;
  const aws = structuredClone(eks.aws);
  next.targets.staging = {
    ...structuredClone(eks),
    queuePrefix: 'spillway-staging',
    namespace: 'spillway-staging',
    cluster: 'spillway-staging',
    domain: 'staging.ingest.example.com',
    roleName: 'spillway-staging-workload',
    vpcCidr: '10.1.0.0/16',
    aws: {
      ...aws,
      stackPrefix: 'spillway-staging',
      cluster: { ...aws.cluster, deployRoleName: 'spillway-staging-deploy', nodeGroup: { ...aws.cluster.nodeGroup, min: 1, desired: 1 } },
      database: { ...aws.database, readReplicas: 0, proxy: { ...aws.database.proxy!, secretName: 'spillway-staging/db-app' } },
      registry: { ...aws.registry, repository: 'spillway-staging' },
      backups: { ...aws.backups, bucket: 'spillway-staging-db-backups-123456789012' },
      alarms: { ...aws.alarms, loadBalancer: 'app/spillway-staging-absorber/0123456789abcdef' },
    },
  };
  return next;
}

/**
 * The shipped definition with a second EKS target whose broker is BullMQ on ElastiCache: its own
 * account-wide names, the same services (their Lambda lane runs in the worker's pods there: Lambda
 * lanes are fed by SQS). No public traffic: not in dns.records.
 */
export function withBullmq(def: SpillwayDefinition = spillway): SpillwayDefinition {
  const next = structuredClone(def);
  const eks = next.targets.eks as EksTarget;
  const aws = structuredClone(eks.aws);
  next.targets.bullmq = {
    ...structuredClone(eks),
    broker: { kind: 'bullmq', redis: { elasticache: { nodeType: 'cache.t4g.small' } } },
    queuePrefix: 'spillway-bullmq',
    namespace: 'spillway-bullmq',
    cluster: 'spillway-bullmq',
    domain: 'bullmq.ingest.example.com',
    roleName: 'spillway-bullmq-workload',
    vpcCidr: '10.2.0.0/16',
    aws: {
      ...aws,
      stackPrefix: 'spillway-bullmq',
      cluster: { ...aws.cluster, deployRoleName: 'spillway-bullmq-deploy' },
      database: { ...aws.database, proxy: { ...aws.database.proxy!, secretName: 'spillway-bullmq/db-app' } },
      registry: { ...aws.registry, repository: 'spillway-bullmq' },
      backups: { ...aws.backups, bucket: 'spillway-bullmq-db-backups-123456789012' },
      alarms: { ...aws.alarms, loadBalancer: 'app/spillway-bullmq-absorber/0123456789abcdef' },
    },
  };
  return next;
}
