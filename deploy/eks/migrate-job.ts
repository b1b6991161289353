// The migration step on EKS: a Job per image, applied with the rest. Jobs are immutable, so the
// name carries a hash of the image: a new release is a new Job (it runs `npm run migrate` once),
// while re-applying the same release finds its Job already there and changes nothing.
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { createHash } from 'node:crypto';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1';
import { MIGRATE_STEP, EksDefinition } from '../model/definition';
import { migrateEnv } from '../model/env';
import { serviceAccountName } from '../model/service-accounts';
import { commonLabels, secretName } from './names';
import { containerSecurity, podSecurity } from './workloads';

const POSTGRES_PORT = 5432;

const quantities = (r: { cpuMillis: number; memoryMiB: number }) => ({ cpu: `${r.cpuMillis}m`, memory: `${r.memoryMiB}Mi` });

function labels(def: EksDefinition): Record<string, string> {
  return { 'app.kubernetes.io/name': def.name, 'app.kubernetes.io/component': MIGRATE_STEP.name };
}

function metadata(def: EksDefinition, name: string) {
  return { name, namespace: def.target.namespace, labels: { ...commonLabels(def), ...labels(def) } };
}

export const migrateEnvName = (def: EksDefinition) => `${def.name}-${MIGRATE_STEP.name}-env`;

export function migrateJobName(def: EksDefinition): string {
  const hash = createHash('sha256').update(def.target.image).digest('hex').slice(0, 10);
  return `${def.name}-${MIGRATE_STEP.name}-${hash}`;
}

export function migrateConfigMap(def: EksDefinition): ConfigMap {
  return new ConfigMap({ metadata: metadata(def, migrateEnvName(def)), data: migrateEnv(def, def.target) });
}

/**
 * The Job's own account, `<name>-migrate`: it reads DATABASE_URL from a Secret the kubelet injects,
 * calls no AWS API (no Pod Identity association binds a role to it) and no Kubernetes API (no token).
 */
export function migrateServiceAccount(def: EksDefinition): ServiceAccount {
  return new ServiceAccount({ metadata: metadata(def, serviceAccountName(def, MIGRATE_STEP.name)), automountServiceAccountToken: false });
}

export function migrateJob(def: EksDefinition): Job {
  return new Job({
    metadata: metadata(def, migrateJobName(def)),
    spec: {
      // A few tries while RDS comes up; the advisory lock makes a retry harmless.
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
      template: {
        metadata: { labels: { ...commonLabels(def), ...labels(def) } },
        spec: {
          restartPolicy: 'OnFailure',
          serviceAccountName: serviceAccountName(def, MIGRATE_STEP.name),
          automountServiceAccountToken: false,
          securityContext: podSecurity(),
          containers: [
            {
              name: MIGRATE_STEP.name,
              image: def.target.image,
              command: [...MIGRATE_STEP.command],
              envFrom: [{ configMapRef: { name: migrateEnvName(def) } }],
              env: MIGRATE_STEP.secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName(def), key: name } } })),
              resources: { requests: quantities(MIGRATE_STEP.resources.requests), limits: quantities(MIGRATE_STEP.resources.limits) },
              securityContext: containerSecurity(),
            },
          ],
        },
      },
    },
  });
}

/** The Job's pods reach Postgres (RDS, in the VPC) and nothing else; they receive nothing. */
export function migratePolicy(def: EksDefinition): NetworkPolicy {
  return new NetworkPolicy({
    metadata: metadata(def, `${def.name}-${MIGRATE_STEP.name}`),
    spec: {
      podSelector: { matchLabels: labels(def) },
      policyTypes: ['Ingress', 'Egress'],
      egress: [{ to: [{ ipBlock: { cidr: def.target.vpcCidr } }], ports: [{ protocol: 'TCP', port: POSTGRES_PORT }] }],
    },
  });
}
