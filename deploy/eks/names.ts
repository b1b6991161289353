// Names and labels the EKS objects refer to each other by; one place so a selector cannot miss.
import { ServiceSpec, SpillwayDefinition } from '../model/definition';

export const SLOT_LABEL = 'spillway.dev/slot';

export function selectorLabels(def: SpillwayDefinition, svc: ServiceSpec): Record<string, string> {
  return { 'app.kubernetes.io/name': def.name, 'app.kubernetes.io/component': svc.name };
}

export function commonLabels(def: SpillwayDefinition): Record<string, string> {
  return { 'app.kubernetes.io/part-of': def.name, 'app.kubernetes.io/managed-by': 'cdk8s' };
}

export function meta(def: SpillwayDefinition, name: string, svc?: ServiceSpec) {
  const labels = { ...commonLabels(def), ...(svc ? selectorLabels(def, svc) : {}) };
  return { name, namespace: def.targets.eks.namespace, labels };
}

export const secretName = (def: SpillwayDefinition) => `${def.name}-secrets`;
export const envConfigMapName = (svc: ServiceSpec) => `${svc.name}-env`;
export const secretStoreName = (def: SpillwayDefinition) => `${def.name}-aws`;
export const triggerAuthName = (def: SpillwayDefinition) => `${def.name}-aws`;
export const slotServiceName = (svc: ServiceSpec, slot: string) => `${svc.name}-${slot}`;

export function roleArn(def: SpillwayDefinition): string {
  const eks = def.targets.eks;
  return `arn:aws:iam::${eks.accountId}:role/${eks.roleName}`;
}

/** Seconds Kubernetes waits after the preStop pause for the app's own drain, plus a margin. */
export function gracePeriodSeconds(def: SpillwayDefinition): number {
  return def.targets.eks.preStopSeconds + Math.ceil(def.shutdownTimeoutMs / 1000) + 5;
}
