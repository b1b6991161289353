// HPA (autoscaling/v2, CPU) for the absorber; a KEDA ScaledObject per worker on its lanes: SQS
// queue depth, or on BullMQ the length of each lane's wait list in Redis (the target's broker decides).
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Lane } from '@spillway/config/lanes';
import { EVENTS_PER_JOB } from '@spillway/queue/bullmq/bullmq-enqueue';
import { ServiceSpec, EksDefinition } from '../model/definition';
import { podLanes } from '../model/lambda-lanes';
import { queueName } from '../model/queues';
import { bullmqWaitList, REDIS_SECRET_PROPERTIES } from '../model/redis';
import { meta, redisSecretName, triggerAuthName, workloadName } from './names';

export function cpuAutoscaler(def: EksDefinition, svc: ServiceSpec): HorizontalPodAutoscaler | undefined {
  const a = svc.autoscaling;
  if (!('cpuPercent' in a)) return undefined;
  return new HorizontalPodAutoscaler({
    metadata: meta(def, workloadName(def, svc), svc),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workloadName(def, svc) },
      minReplicas: a.min,
      maxReplicas: a.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuPercent } } }],
    },
  });
}

/**
 * On SQS, KEDA reads queue depth with its operator's own IAM role (EKS Pod Identity), so no keys live
 * in the cluster. On BullMQ it reads list lengths from Redis with the address and AUTH token of the
 * cache's secret (the Secret External Secrets writes, deploy/eks/secrets.ts).
 */
export function triggerAuthentication(def: EksDefinition): TriggerAuthentication {
  if (def.target.broker.kind === 'bullmq') {
    const secret = redisSecretName(def);
    return new TriggerAuthentication({
      metadata: meta(def, triggerAuthName(def)),
      spec: {
        secretTargetRef: [
          { parameter: 'address', name: secret, key: REDIS_SECRET_PROPERTIES.address },
          { parameter: 'password', name: secret, key: REDIS_SECRET_PROPERTIES.password },
        ],
      },
    });
  }
  return new TriggerAuthentication({
    metadata: meta(def, triggerAuthName(def)),
    // `identityOwner` (KEDA >= 2.13) postdates the CommonJS model's types; its schema accepts it.
    spec: { podIdentity: { provider: 'aws', identityOwner: 'keda' } as { provider: string } },
  });
}

export function queueUrl(def: EksDefinition, queue: string): string {
  const eks = def.target;
  return `https://sqs.${eks.region}.amazonaws.com/${eks.accountId}/${queue}`;
}

export function queueScaler(def: EksDefinition, svc: ServiceSpec): ScaledObject | undefined {
  const a = svc.autoscaling;
  if (!('queueDepthPerReplica' in a)) return undefined;
  return new ScaledObject({
    metadata: meta(def, workloadName(def, svc), svc),
    spec: {
      scaleTargetRef: { name: workloadName(def, svc) },
      minReplicaCount: a.min,
      maxReplicaCount: a.max,
      pollingInterval: 15,
      // Longer than a lease, so a worker is not removed while its deliveries could still return.
      cooldownPeriod: Math.max(300, Math.ceil(def.leaseMs / 1000) * 2),
      // Lanes that run as Lambda functions are scaled by their event source mapping, not by KEDA.
      triggers: podLanes(svc, def.target).map((lane) => laneTrigger(def, lane, a.queueDepthPerReplica)),
    },
  });
}

/** One lane's KEDA trigger: the SQS queue's depth, or the length of BullMQ's wait list in Redis. */
function laneTrigger(def: EksDefinition, lane: Lane, depthPerReplica: number): { type: string; name: string; authenticationRef: { name: string }; metadata: Record<string, string> } {
  const authenticationRef = { name: triggerAuthName(def) };
  if (def.target.broker.kind === 'bullmq') {
    return {
      type: 'redis',
      name: lane,
      authenticationRef,
      metadata: {
        listName: bullmqWaitList(def.queuePrefix, lane),
        // The list holds jobs, and a job carries up to EVENTS_PER_JOB events (the absorber batches
        // what arrives together): in a spike, when scaling matters, jobs are full.
        listLength: String(Math.max(1, Math.round(depthPerReplica / EVENTS_PER_JOB))),
        // ElastiCache encrypts in transit: the scaler connects with TLS, as the apps do (rediss://).
        enableTLS: 'true',
      },
    };
  }
  return {
    type: 'aws-sqs-queue',
    name: lane,
    authenticationRef,
    metadata: {
      queueURL: queueUrl(def, queueName(def.queuePrefix, lane)),
      queueLength: String(depthPerReplica),
      awsRegion: def.target.region,
    },
  };
}
