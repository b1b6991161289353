// Offline schema check of rendered Kubernetes documents: each apiVersion/kind maps to its
// kubernetes-models class, whose validate() runs the OpenAPI schema of that object.
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { ExternalSecret, SecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1beta1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';

/**
 * External Secrets Operator serves only `external-secrets.io/v1` since v0.17, while the CommonJS
 * models package stops at v1beta1 (the newer one is ESM-only, Node >= 22). The fields rendered here
 * (secretStoreRef, target, data[].remoteRef, provider.aws.auth.jwt) are the same in both versions,
 * so objects are built and validated as v1beta1 and written as v1.
 */
export const RENDERED_API_VERSION: Record<string, string> = {
  'external-secrets.io/v1beta1': 'external-secrets.io/v1',
};
const MODEL_API_VERSION = Object.fromEntries(Object.entries(RENDERED_API_VERSION).map(([m, r]) => [r, m]));

type ModelClass = new (data: never) => { validate(): void };

const MODELS: Record<string, ModelClass> = {};
for (const cls of [
  Namespace, ConfigMap, Service, ServiceAccount, Deployment, HorizontalPodAutoscaler, Ingress, NetworkPolicy,
  PodDisruptionBudget, Job, ScaledObject, TriggerAuthentication, ExternalSecret, SecretStore, Role, RoleBinding,
] as unknown as Array<ModelClass & { apiVersion: string; kind: string }>) {
  MODELS[`${cls.apiVersion}/${cls.kind}`] = cls;
}

/** One line per problem, naming the object; an unknown kind is a problem too. */
export function kubernetesSchemaProblems(doc: Record<string, unknown>): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const name = (doc.metadata as { name?: string } | undefined)?.name ?? '?';
  const modelVersion = MODEL_API_VERSION[doc.apiVersion as string] ?? doc.apiVersion;
  const cls = MODELS[`${modelVersion}/${doc.kind}`];
  if (!cls) return [`${key} ${name}: no schema known for this kind`];
  try {
    new cls({ ...doc, apiVersion: modelVersion } as never).validate();
    return [];
  } catch (err) {
    return [`${key} ${name}: ${(err as Error).message}`];
  }
}
