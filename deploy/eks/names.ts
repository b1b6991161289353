// Names and labels the EKS objects refer to each other by; one place so a selector cannot miss.
import { ServiceSpec, EksDefinition } from '../model/definition';

export const SLOT_LABEL = 'spillway.dev/slot';

export function selectorLabels(def: EksDefinition, svc: ServiceSpec): Record<string, string> {
  return { 'app.kubernetes.io/name': def.name, 'app.kubernetes.io/component': svc.name };
}

/**
 * Name of a service's Deployment and what belongs to one rollout of it (ConfigMap, HPA, PDB). The
 * public service carries its slot, so a green rollout sits beside the blue one until the weights
 * move and the old slot is deleted.
 */
export function workloadName(def: EksDefinition, svc: ServiceSpec): string {
  return svc.public ? `${svc.name}-${def.target.slot}` : svc.name;
}

/** Selects the pods of one rollout: the component, plus the slot for the public service. */
export function podSelector(def: EksDefinition, svc: ServiceSpec): Record<string, string> {
  const labels = selectorLabels(def, svc);
  return svc.public ? { ...labels, [SLOT_LABEL]: def.target.slot } : labels;
}

export function commonLabels(def: EksDefinition): Record<string, string> {
  return { 'app.kubernetes.io/part-of': def.name, 'app.kubernetes.io/managed-by': 'cdk8s' };
}

export function meta(def: EksDefinition, name: string, svc?: ServiceSpec) {
  const labels = { ...commonLabels(def), ...(svc ? selectorLabels(def, svc) : {}) };
  return { name, namespace: def.target.namespace, labels };
}

export const secretName = (def: EksDefinition) => `${def.name}-secrets`;
export const envConfigMapName = (def: EksDefinition, svc: ServiceSpec) => `${workloadName(def, svc)}-env`;
export const secretStoreName = (def: EksDefinition) => `${def.name}-aws`;
/** KEDA's credentials: its own AWS role on SQS, the Redis secret on BullMQ. */
export const triggerAuthName = (def: EksDefinition) => `${def.name}-${def.target.broker.kind === 'sqs' ? 'aws' : 'redis'}`;
/** The Kubernetes Secret External Secrets writes from the cache's connection secret (BullMQ targets only). */
export const redisSecretName = (def: EksDefinition) => `${def.name}-redis`;
export const slotServiceName = (svc: ServiceSpec, slot: string) => `${svc.name}-${slot}`;

/** Seconds Kubernetes waits after the preStop pause for the app's own drain, plus a margin. */
export function gracePeriodSeconds(def: EksDefinition): number {
  return def.target.preStopSeconds + Math.ceil(def.shutdownTimeoutMs / 1000) + 5;
}
