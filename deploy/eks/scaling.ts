// HPA (autoscaling/v2, CPU) for the absorber; a KEDA ScaledObject per worker on its SQS queues.
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ServiceSpec, EksDefinition } from '../model/definition';
import { podLanes } from '../model/lambda-lanes';
import { queueName } from '../model/queues';
import { meta, triggerAuthName, workloadName } from './names';

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

/** KEDA reads queue depth with its operator's own IAM role (EKS Pod Identity), so no keys live in the cluster. */
export function triggerAuthentication(def: EksDefinition): TriggerAuthentication {
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
      triggers: podLanes(svc, def.target).map((lane) => ({
        type: 'aws-sqs-queue',
        name: lane,
        authenticationRef: { name: triggerAuthName(def) },
        metadata: {
          queueURL: queueUrl(def, queueName(def.queuePrefix, lane)),
          queueLength: String(a.queueDepthPerReplica),
          awsRegion: def.target.region,
        },
      })),
    },
  });
}
