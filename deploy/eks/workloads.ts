// Namespace, ServiceAccount, per-service ConfigMap, Deployment and PodDisruptionBudget.
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { createHash } from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { ENTRYPOINTS, HEALTH, ServiceSpec, EksDefinition } from '../model/definition';
import { plainEnv, secretNames } from '../model/env';
import { serviceAccountName } from '../model/service-accounts';
import { REDIS_SECRET_PROPERTIES } from '../model/redis';
import { commonLabels, envConfigMapName, gracePeriodSeconds, meta, podSelector, redisSecretName, secretName, workloadName } from './names';

/** The node image's `node` user; numeric so the kubelet can prove runAsNonRoot. */
const NODE_UID = 1000;

/** Every pod (Deployments and the migration Job) meets the restricted Pod Security Standard. */
export const podSecurity = () => ({
  runAsNonRoot: true,
  runAsUser: NODE_UID,
  runAsGroup: NODE_UID,
  seccompProfile: { type: 'RuntimeDefault' as const },
});

export const containerSecurity = () => ({
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
});

export function namespace(def: EksDefinition): Namespace {
  return new Namespace({
    metadata: {
      name: def.target.namespace,
      // The pods below meet the restricted Pod Security Standard; enforce it so none slips.
      // The ALB registers a new pod only once it is healthy there: the Load Balancer Controller's
      // readiness gate, injected into pods of namespaces with this label.
      labels: { ...commonLabels(def), 'pod-security.kubernetes.io/enforce': 'restricted', 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' },
    },
  });
}

/** One per service: the access stack binds each to its own IAM role (EKS Pod Identity association). */
export function serviceAccount(def: EksDefinition, svc: ServiceSpec): ServiceAccount {
  return new ServiceAccount({ metadata: meta(def, serviceAccountName(def, svc.name), svc) });
}

export function envConfigMap(def: EksDefinition, svc: ServiceSpec): ConfigMap {
  return new ConfigMap({ metadata: meta(def, envConfigMapName(def, svc), svc), data: plainEnv(def, svc, def.target) });
}

const cpu = (m: number) => `${m}m`;
const mem = (mib: number) => `${mib}Mi`;

/** `http` (API or health), and the absorber's separate `metrics` port. */
function containerPorts(svc: ServiceSpec) {
  const ports = [{ name: 'http', containerPort: svc.port, protocol: 'TCP' as const }];
  if (svc.metricsPort) ports.push({ name: 'metrics', containerPort: svc.metricsPort, protocol: 'TCP' });
  return ports;
}

/** Where a Prometheus using the common pod annotations scrapes: never the absorber's API port. */
function scrapeAnnotations(svc: ServiceSpec): Record<string, string> {
  const port = svc.metricsPort ?? svc.port;
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' };
}

export function deployment(def: EksDefinition, svc: ServiceSpec): Deployment {
  const eks = def.target;
  const podLabels = { ...commonLabels(def), ...podSelector(def, svc) };
  // A changed ConfigMap does not restart pods by itself; a changed hash in the template does.
  const envHash = createHash('sha256').update(JSON.stringify(plainEnv(def, svc, def.target))).digest('hex').slice(0, 16);
  const probe = (path: string) => ({ httpGet: { path, port: 'http' }, timeoutSeconds: 3 });
  return new Deployment({
    metadata: meta(def, workloadName(def, svc), svc),
    spec: {
      // No `replicas`: the HPA or KEDA owns it, and a server-side apply must not fight them.
      revisionHistoryLimit: 5,
      selector: { matchLabels: podSelector(def, svc) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: podLabels, annotations: { 'spillway.dev/env-hash': envHash, ...scrapeAnnotations(svc) } },
        spec: {
          serviceAccountName: serviceAccountName(def, svc.name),
          // No pod calls the Kubernetes API; IRSA mounts its own web-identity token regardless.
          automountServiceAccountToken: false,
          // One zone going down takes a third of the pods, not all. Soft: a full zone must not
          // stop a scale-up (the node group's Auto Scaling group cannot be told which zone to grow).
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: podSelector(def, svc) } },
          ],
          terminationGracePeriodSeconds: gracePeriodSeconds(def),
          securityContext: podSecurity(),
          containers: [
            {
              name: svc.name,
              image: eks.image,
              command: ENTRYPOINTS[svc.role],
              ports: containerPorts(svc),
              envFrom: [{ configMapRef: { name: envConfigMapName(def, svc) } }],
              env: [
                ...secretNames(svc).map((name) => ({
                  name,
                  valueFrom: { secretKeyRef: { name: secretName(def), key: name } },
                })),
                ...brokerSecretEnv(def),
              ],
              resources: {
                requests: { cpu: cpu(svc.resources.requests.cpuMillis), memory: mem(svc.resources.requests.memoryMiB) },
                limits: { cpu: cpu(svc.resources.limits.cpuMillis), memory: mem(svc.resources.limits.memoryMiB) },
              },
              // Up to a minute for the first start.
              startupProbe: { ...probe(HEALTH.live), periodSeconds: 2, failureThreshold: 30 },
              livenessProbe: { ...probe(HEALTH.live), periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { ...probe(HEALTH.ready), periodSeconds: 5, failureThreshold: 2 },
              // Endpoints and the ALB take a few seconds to stop sending; keep serving meanwhile.
              lifecycle: { preStop: { exec: { command: ['sleep', String(eks.preStopSeconds)] } } },
              securityContext: containerSecurity(),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          // The root filesystem is read-only; Node and pino may still want a scratch /tmp.
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  });
}

/** On BullMQ every pod reaches Redis by REDIS_URL (rediss://, with the AUTH token) from the cache's secret. */
function brokerSecretEnv(def: EksDefinition) {
  if (def.target.broker.kind !== 'bullmq') return [];
  const key = REDIS_SECRET_PROPERTIES.url;
  return [{ name: key, valueFrom: { secretKeyRef: { name: redisSecretName(def), key } } }];
}

export function disruptionBudget(def: EksDefinition, svc: ServiceSpec): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: meta(def, workloadName(def, svc), svc),
    spec: { maxUnavailable: 1, selector: { matchLabels: podSelector(def, svc) } },
  });
}
