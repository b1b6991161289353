// The shape of the one service definition (`deploy/spillway.ts`). Both renderers read only this;
// anything a target needs to know lives here, so Compose and Kubernetes cannot drift apart.
import type { Lane } from '../../libs/config/src/lanes';

export type Role = 'absorber' | 'worker';

/** CPU in millicores, memory in MiB: one unit per field so both targets convert the same way. */
export interface Resources {
  requests: { cpuMillis: number; memoryMiB: number };
  limits: { cpuMillis: number; memoryMiB: number };
}

/** Horizontal scaling range. The absorber scales on CPU, a worker on its queues' depth. */
export type Autoscaling =
  | { min: number; max: number; cpuPercent: number }
  | { min: number; max: number; queueDepthPerReplica: number };

/** A value that lives in a secret store: AWS Secrets Manager on EKS, an env_file on Hetzner. */
export interface SecretRef {
  /** Secrets Manager secret name (its JSON holds one property per env variable). */
  remoteKey: string;
  property: string;
}

export interface ServiceSpec {
  name: string;
  role: Role;
  /** HTTP port: the API for the absorber, health and metrics for a worker. */
  port: number;
  /** Lanes a worker consumes (becomes WORKER_LANES); absent for the absorber. */
  lanes?: Lane[];
  /** Plain env for this service only, on top of the definition's `env`. */
  env?: Record<string, string>;
  /** Names from the definition's `secrets` this service receives. */
  secrets: string[];
  resources: Resources;
  autoscaling: Autoscaling;
  /** Containers on the single Hetzner box (a published port allows only one). */
  hetznerReplicas: number;
  /** Reached from outside the cluster/box (absorber): Ingress on EKS, a published port on Hetzner. */
  public: boolean;
  /** Other services or dependencies that must be healthy first. */
  dependsOn: string[];
}

export interface Dependencies {
  /** Redis for BullMQ: only on Hetzner; EKS uses SQS. */
  redis: { image: string; appendOnly: boolean };
  /** Postgres: a container on Hetzner, RDS on EKS (reached through the VPC CIDR). */
  postgres: { image: string; database: string; user: string; passwordSecret: string };
}

export interface HetznerTarget {
  /** SSH host for DOCKER_HOST=ssh://<sshUser>@<host>. */
  host: string;
  sshUser: string;
  /** Tag built from the Dockerfile on the box. */
  image: string;
  /** Name of the env_file that holds the secrets (git-ignored; `<envFile>.example` is committed). */
  envFile: string;
  /** Served by the optional Caddy proxy (compose profile `tls`). */
  domain: string;
  /** Caddy image of that proxy. */
  tlsProxyImage: string;
  env: Record<string, string>;
}

export interface EksTarget {
  cluster: string;
  region: string;
  accountId: string;
  namespace: string;
  image: string;
  domain: string;
  /** ACM certificate for the ALB's HTTPS listener. */
  certificateArn: string;
  /** IAM role assumed by the pods (IRSA) and by KEDA to read queue depth. */
  roleName: string;
  /** Where RDS and the ALB live: NetworkPolicies allow this range. */
  vpcCidr: string;
  /** Traffic split of the ALB between the blue and green absorber Services (sums to 100). */
  weights: { blue: number; green: number };
  /** Which slot the absorber pods of this definition belong to. */
  slot: 'blue' | 'green';
  /** Pause in preStop so the ALB and kube-proxy stop sending before SIGTERM. */
  preStopSeconds: number;
  env: Record<string, string>;
}

/**
 * The public host's split between the two targets, as Route 53 weighted records. The weights live
 * in deploy/traffic.json so `npm run cutover` can change them as a reviewable one-line diff.
 */
export interface DnsSettings {
  zoneId: string;
  /** The public host clients send events to. */
  name: string;
  ttl: number;
  /** What each weighted record points at: the Hetzner box and the EKS ALB. */
  hetznerTarget: string;
  eksTarget: string;
  weights: TrafficWeights;
}

export interface TrafficWeights {
  hetzner: number;
  eks: number;
}

/**
 * Alert thresholds, the one place both targets read them from: the Prometheus rules on Hetzner
 * (deploy/monitoring/) and, later, the CloudWatch alarms on AWS.
 */
export interface AlertThresholds {
  /** Age of the oldest waiting event (seconds) above which a lane alerts. */
  oldestEventSeconds: Record<Lane, number>;
  /** Dead letters in any lane above this alert (0: the first one). */
  deadLetters: number;
  /** Share of ingest answers that are 5xx, over 5 minutes (0.01 = 1%). */
  serverErrorRatio: number;
  /** Free share of a filesystem on the box below which it alerts (0.15 = 15%). */
  diskFreeRatio: number;
  /** How long a condition must hold before it fires (dead letters fire at once). */
  forMinutes: number;
}

export interface SpillwayDefinition {
  name: string;
  /** Prefix of every queue name (QUEUE_PREFIX). */
  queuePrefix: string;
  maxAttempts: number;
  leaseMs: number;
  /** Event type (or `prefix.*`) to lane; rendered as LANE_ROUTES. */
  routes: Record<string, Lane>;
  /** Plain env shared by every service on every target. */
  env: Record<string, string>;
  secrets: Record<string, SecretRef>;
  shutdownTimeoutMs: number;
  services: ServiceSpec[];
  dependencies: Dependencies;
  targets: { hetzner: HetznerTarget; eks: EksTarget };
  dns: DnsSettings;
  alerts: AlertThresholds;
}

export type TargetName = keyof SpillwayDefinition['targets'];

export const HEALTH = { live: '/health/live', ready: '/health/ready' } as const;

export const ENTRYPOINTS: Record<Role, string[]> = {
  absorber: ['node', 'dist/apps/absorber/src/main.js'],
  worker: ['node', 'dist/apps/worker/src/main.js'],
};
