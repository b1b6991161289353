// Secrets come from AWS Secrets Manager through External Secrets Operator: the cluster holds a
// reference (ExternalSecret) and ESO writes the Secret; no value is ever rendered.
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { ExternalSecret, SecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1beta1';
import { EksDefinition } from '../model/definition';
import { meta, secretName, secretStoreName } from './names';

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
