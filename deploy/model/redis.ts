// An EKS target whose broker is BullMQ on ElastiCache: the names the cache stack, the External
// Secrets mapping, the pods and KEDA share, so a rename cannot reach only some of them.
import { Lane } from '@spillway/config/lanes';
import { EksDefinition } from './definition';

/** ElastiCache's default port (the cache stack opens only it, to the cluster security group). */
export const EKS_REDIS_PORT = 6379;

/**
 * The Secrets Manager secret External Secrets reads for this target's Redis, `<aws.stackPrefix>/redis`.
 * The cache stack writes it once the replication group exists (its endpoint is not known before).
 */
export const redisSecretKey = (def: Pick<EksDefinition, 'name'>): string => `${def.name}/redis`;

/**
 * The secret that holds only the generated AUTH token, `<aws.stackPrefix>/cache-auth-token`: the
 * replication group and the secret above read it through CloudFormation; no pod or controller does.
 * Its name does not start with the one above, so External Secrets' `<name>-*` grant cannot match it.
 */
export const redisTokenSecretKey = (def: Pick<EksDefinition, 'name'>): string => `${def.name}/cache-auth-token`;

/**
 * Properties of `redisSecretKey`: the apps' URL (rediss://:<token>@<primary endpoint>:6379), and the
 * same endpoint and token apart for KEDA's redis scaler, which takes them as separate parameters.
 */
export const REDIS_SECRET_PROPERTIES = { url: 'REDIS_URL', address: 'address', password: 'password' } as const;

/** Nodes of the replication group: a primary and one replica in another AZ (Multi-AZ, automatic failover). */
export const CACHE_NODES = 2;

/** Its nodes' ids' suffixes, `001`, `002`: what CloudWatch's CacheClusterId ends in. */
export const cacheNodeSuffixes = (): string[] => Array.from({ length: CACHE_NODES }, (_, i) => String(i + 1).padStart(3, '0'));

/** The replication group's id: its node ids (`<id>-001`, `-002`) name the CloudWatch metrics. */
export const replicationGroupId = (def: Pick<EksDefinition, 'name'>): string => `${def.name}-redis`;

/**
 * The Redis list BullMQ keeps a lane's waiting jobs in: `<prefix>:<queue>:wait`, the queue being the
 * lane (libs/queue/src/bullmq/bullmq.driver.ts names its queues by lane, under QUEUE_PREFIX).
 * deploy/eks/bullmq-keys.spec.ts enqueues with the real driver and reads this key back.
 */
export function bullmqWaitList(queuePrefix: string, lane: Lane): string {
  return `${queuePrefix}:${lane}:wait`;
}
