// Secrets come from AWS Secrets Manager through External Secrets Operator: the cluster holds a
// reference (ExternalSecret) and ESO writes the Secret; no value is ever rendered.
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { ExternalSecret, SecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1beta1';
import { EksDefinition } from '../model/definition';
import { REDIS_SECRET_PROPERTIES, redisSecretKey } from '../model/redis';
import { meta, redisSecretName, secretName, secretStoreName } from './names';

/** Secrets some service on EKS reads (POSTGRES_PASSWORD, say, only matters to the Hetzner box). */
export function usedSecrets(def: EksDefinition): string[] {
  return [...new Set(def.services.flatMap((s) => s.secrets))].sort();
}

export function secretStore(def: EksDefinition): SecretStore {
  return new SecretStore({
    metadata: meta(def, secretStoreName(def)),
    spec: {
      provider: {
        aws: {
          service: 'SecretsManager',
          region: def.target.region,
          // No `auth`: the ESO controller's own role (EKS Pod Identity, deploy/aws/access.ts) reads the secrets.
        },
      },
    },
  });
}

export function externalSecret(def: EksDefinition): ExternalSecret {
  return new ExternalSecret({
    metadata: meta(def, secretName(def)),
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: secretStoreName(def) },
      target: { name: secretName(def), creationPolicy: 'Owner' },
      data: usedSecrets(def).map((name) => ({
        secretKey: name,
        remoteRef: { key: def.secrets[name].remoteKey, property: def.secrets[name].property },
      })),
    },
  });
}

/**
 * On BullMQ, the cache stack's connection secret as a Secret of its own: REDIS_URL for the pods,
 * address and password for KEDA's redis scaler. Apart from the app's secrets so neither list
 * depends on the other's target.
 */
export function redisExternalSecret(def: EksDefinition): ExternalSecret | undefined {
  if (def.target.broker.kind !== 'bullmq') return undefined;
  return new ExternalSecret({
    metadata: meta(def, redisSecretName(def)),
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: secretStoreName(def) },
      target: { name: redisSecretName(def), creationPolicy: 'Owner' },
      data: Object.values(REDIS_SECRET_PROPERTIES).map((property) => ({ secretKey: property, remoteRef: { key: redisSecretKey(def), property } })),
    },
  });
}
