// The shape of the one service definition (`deploy/spillway.ts`): what every target shares, and the
// targets by name, each of a kind (`compose`, `eks`) whose renderer synth picks. A renderer reads the
// shared part and one target (`TargetDefinition`), so a second target of a kind is data, not code.
import type { MovePath } from './move-path';
import type { Lane } from '@spillway/config/lanes';
import type { LoadPlan } from './load-plan';
import type { WebhookProvider } from '@spillway/config/webhooks';

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
  /**
   * The absorber's `/metrics` port (METRICS_PORT), apart from its public API port: never published
   * on Hetzner, a `metrics` port of the in-cluster Service on EKS. Workers serve metrics on `port`.
   */
  metricsPort?: number;
  /** Lanes a worker consumes (becomes WORKER_LANES); absent for the absorber. */
  lanes?: Lane[];
  /** Plain env for this service only, on top of the definition's `env`. */
  env?: Record<string, string>;
  /** Names from the definition's `secrets` this service receives. */
  secrets: string[];
  resources: Resources;
  autoscaling: Autoscaling;
  /**
   * Postgres connections one replica may open (DB_POOL_MAX): required of a service holding
   * DATABASE_URL. At full scale, replicas x this for every service, plus the migrate Job and the
   * Lambda lanes, must fit the RDS instance's max_connections (deploy/model/capacity.ts).
   */
  dbPoolMax?: number;
  /** Reached from outside the cluster/box (absorber): Ingress on EKS, a published port on Hetzner. */
  public: boolean;
  /**
   * What must be up first on Hetzner (compose depends_on): other services or dependencies healthy,
   * or `migrate` (the one-shot migration step) completed.
   */
  dependsOn: string[];
  /**
   * A worker's lanes run as AWS Lambda functions on the EKS target instead of pods (one function per
   * lane, fed by an SQS event source mapping): docs/lambda.md. The Hetzner target keeps the pod
   * worker for every lane. All of the worker's lanes here: no worker pods on EKS at all.
   */
  lambda?: LambdaWorkerSpec;
}

/** How a worker's Lambda lanes run (deploy/aws/lambda-workers.ts renders one function per lane). */
export interface LambdaWorkerSpec {
  /** The lanes that run as functions: some or all of the worker's `lanes`. */
  lanes: Lane[];
  memoryMiB: number;
  /** At most the queue's visibility timeout (leaseMs), as SQS requires of an event source mapping. */
  timeoutSeconds: number;
  /** Records per invocation: 1-10 on a FIFO lane, 1-10000 on a standard one. */
  batchSize: number;
  /** Seconds SQS gathers records before invoking (0-300); standard lanes only; required above 10 records. */
  batchingWindowSeconds: number;
  /** Concurrent invocations the event source mapping may run (ScalingConfig.MaximumConcurrency, 2-1000). */
  maxConcurrency: number;
  /** Postgres connections one invocation may open (DB_POOL_MAX); maxConcurrency x this is what reaches the RDS Proxy. */
  dbPoolMax: number;
  /** arm64 (Graviton: about 20% cheaper per GB-second) or x86_64. The bundle is plain JavaScript either way. */
  architecture: 'arm64' | 'x86_64';
}

export interface Dependencies {
  /** Postgres: a container on a compose target (its limits: the target's `postgres`), RDS on EKS. */
  postgres: { image: string; database: string; user: string; passwordSecret: string };
}

/** Redis as a container beside the services (compose). */
export interface RedisContainer {
  image: string;
  appendOnly: boolean;
  /** Redis `maxmemory` (policy `noeviction`, as BullMQ requires): writes fail instead of jobs vanishing. */
  maxMemoryMiB: number;
  resources: Resources;
}

/**
 * A target's broker (QUEUE_DRIVER is derived from `kind`, never set in `env`). A compose target runs
 * its Redis as a container; an EKS target uses SQS, or keeps BullMQ on ElastiCache (deploy/aws/cache.ts).
 */
export type ComposeBroker = { kind: 'bullmq'; redis: RedisContainer };
export type EksBroker = { kind: 'sqs' } | { kind: 'bullmq'; redis: { elasticache: { nodeType: string } } };
export type Broker = ComposeBroker | EksBroker;
export type BrokerKind = Broker['kind'];

/** One service on a compose target: containers on the box (a published port allows only one) and their limits. */
export interface ComposePlacement {
  replicas: number;
  /** Sized from the target's `box` (not the EKS pod limits of the service). */
  resources: Resources;
}

/** A single box running the stack with Docker Compose (the Hetzner target). */
export interface ComposeTarget {
  kind: 'compose';
  broker: ComposeBroker;
  /** Every service of the definition, by name. */
  services: Record<string, ComposePlacement>;
  /** The Postgres container's limits. */
  postgres: { resources: Resources };
  /** SSH host for DOCKER_HOST=ssh://<sshUser>@<host>. */
  host: string;
  sshUser: string;
  /** Tag built from the Dockerfile on the box. */
  image: string;
  /** The machine: every container's limits together must fit in it. */
  box: { type: string; vcpus: number; memoryMiB: number };
  /**
   * Folder of the per-service secret files: `<secretsDir>/<service>.env` (git-ignored) holds exactly
   * the secrets that service lists; `<service>.env.example` beside it is committed.
   */
  secretsDir: string;
  /**
   * Host address the public service's plaintext port is bound to. `127.0.0.1`: reachable from the
   * internet only through the TLS proxy (profile `tls`); `0.0.0.0` publishes it to everyone.
   */
  publishAddress: string;
  /** Served by the optional Caddy proxy (compose profile `tls`). */
  domain: string;
  /** Caddy image of that proxy. */
  tlsProxyImage: string;
  /** Scheduled, encrypted Postgres dumps to S3-compatible object storage (the compose `backup` service). */
  backup: HetznerBackup;
  /** Prometheus, Grafana and exporters on the box (compose profile `monitoring`). */
  monitoring: HetznerMonitoring;
  env: Record<string, string>;
}

/** The containers of the `monitoring` profile, by compose service name. */
export const MONITORING_SERVICES = ['prometheus', 'grafana', 'redis-exporter', 'postgres-exporter', 'node-exporter'] as const;
export type MonitoringService = (typeof MONITORING_SERVICES)[number];

export interface MonitoringContainer {
  image: string;
  /** Names its own env file holds (Grafana's admin password, the exporter's DSN); Hetzner only. */
  secrets: string[];
  resources: Resources;
}

export interface HetznerMonitoring {
  /** Scrape and rule evaluation interval (seconds). */
  scrapeSeconds: number;
  /** How long Prometheus keeps samples (days). */
  retentionDays: number;
  /**
   * Host ports of the Prometheus and Grafana UIs, bound to `publishAddress` like the absorber
   * (127.0.0.1: reach them through an ssh tunnel).
   */
  ports: { prometheus: number; grafana: number };
  containers: Record<MonitoringService, MonitoringContainer>;
}

export interface HetznerBackup {
  everyHours: number;
  retentionDays: number;
  /** Dumps never deleted however old: the newest N. */
  keepMin: number;
  /** Hetzner Object Storage (https://<location>.your-objectstorage.com) or AWS S3 (endpoint ''). */
  s3: { endpoint: string; region: string; bucket: string; prefix: string };
  /** Names the backup's own env file holds (the key, storage credentials, DATABASE_URL); Hetzner only. */
  secrets: string[];
  resources: Resources;
}

/** A namespace on an EKS cluster, and the AWS account's stacks around it (deploy/eks/, deploy/aws/). */
export interface EksTarget {
  kind: 'eks';
  broker: EksBroker;
  /** Prefix of this target's queue names (QUEUE_PREFIX); the definition's `queuePrefix` when absent. */
  queuePrefix?: string;
  /** What deploy/aws/ creates for this target. */
  aws: AwsSettings;
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

export type Target = ComposeTarget | EksTarget;
export type TargetKind = Target['kind'];
export type Named<T> = T & { name: string };

/**
 * The public host's split between targets, as Route 53 weighted records (one per target, its set
 * identifier the target's name). The weights live in deploy/traffic.json so `npm run cutover` can
 * change them as a reviewable one-line diff.
 */
export interface DnsSettings {
  zoneId: string;
  /** The public host clients send events to. */
  name: string;
  ttl: number;
  /**
   * By target name, what its weighted record points at: a compose target's box (host name), an EKS
   * target's ALB. The targets named here are the ones that take public traffic.
   */
  records: Record<string, string>;
  /** By target name (the same names as `records`), summing to 100. */
  weights: TrafficWeights;
}

/** Share of the public traffic (0-100) by target name. */
export type TrafficWeights = Record<string, number>;

/**
 * Alert thresholds, the one place both targets read them from: the Prometheus rules on Hetzner
 * (deploy/monitoring/) and the CloudWatch alarms on AWS (deploy/aws/alarms.ts).
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
  /** p99 time (seconds) the absorber takes to answer; on AWS, the ALB's target response time. */
  responseP99Seconds: number;
  /** The database: CPU percent, open connections, read replica lag (seconds); RDS alarms on AWS (free storage uses diskFreeRatio). */
  database: { cpuPercent: number; connections: number; replicaLagSeconds: number };
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
  /** By name; synth renders each with its kind's renderer. */
  targets: Record<string, Target>;
  dns: DnsSettings;
  alerts: AlertThresholds;
  /** The staging load test (deploy/k6/) and the rate the cost report plans for (deploy/cost/). */
  load?: LoadPlan;
  /** `POST /v1/hooks/<name>` sources (docs/webhooks.md); each needs WEBHOOK_SECRET_<NAME> in secrets. */
  webhooks?: Record<string, WebhookSourceSpec>;
  /** How images are built, pinned and shipped: the GitHub workflows and the role they assume. */
  release: ReleaseSettings;
  /** The box-to-VPC network path for the move window (docs/move-path.md); absent = none. */
  movePath?: MovePath;
}

export interface WebhookSourceSpec {
  provider: WebhookProvider;
  /** Derived type (without the source prefix), `prefix.*` or `*` (the whole source) to lane. */
  routes?: Record<string, Lane>;
  /** Events per second per absorber replica (WEBHOOK_RATE_LIMITS); absent or 0 is off. */
  rateLimit?: number;
}

/**
 * The release pipeline (`.github/workflows/`, rendered) and what trusts it. Every job that touches
 * AWS or the box runs in one of `environments`, protected in the repository's settings; the CI
 * role trusts those environments of `repository` and nothing else.
 */
export interface ReleaseSettings {
  /** GitHub `owner/name`: the only repository whose workflows may assume the CI role. */
  repository: string;
  /** Branch releases are cut from (tags `v*` release too). */
  branch: string;
  environments: {
    /** Build, scan, push and deploy to the idle EKS slot (deployment branches: `branch` and `v*` tags). */
    release: string;
    /** Shifting EKS traffic to the new slot: required reviewers (the manual approval). */
    production: string;
    /** The Hetzner deploy over SSH; holds the box's SSH key and secret env files. */
    hetzner: string;
  };
  /**
   * Prefix of the IAM roles the workflows assume through GitHub's OIDC provider (no long-lived
   * keys), one per duty: `<ciRoleName>-image|deploy|shift|hetzner` (deploy/aws/ci.ts).
   */
  ciRoleName: string;
  /**
   * GitHub's OIDC provider: 'create' it in the CI stack, or use the 'existing' one of the account
   * (IAM allows one per URL; creating a second fails with EntityAlreadyExists).
   */
  githubOidcProvider: 'create' | 'existing';
  /**
   * CodeBuild-hosted GitHub Actions runners in the VPC's private subnets for the jobs that talk to
   * the cluster (its API endpoint is open only to aws.cluster.apiAllowedCidrs). connectionArn: an
   * AWS CodeConnections connection to GitHub, created and approved once in the console.
   */
  runner: { connectionArn: string; computeType: 'BUILD_GENERAL1_SMALL' | 'BUILD_GENERAL1_MEDIUM' | 'BUILD_GENERAL1_LARGE' };
  /** Node major the workflows set up (the Dockerfile's base image says the same). */
  nodeVersion: string;
  /**
   * The release history on the Hetzner box, one line per deploy or rollback (relative to the SSH
   * user's home when DOCKER_HOST is ssh://, else to the current directory).
   */
  hetznerReleaseLog: string;
}

/**
 * What `deploy/aws/` creates for an EKS target (region, account and VPC CIDR come from the target).
 * Sizes are the seed's; every option defaults to the cheaper choice.
 */
export interface AwsSettings {
  /** Prefix of every stack name: `<stackPrefix>-network`, `<stackPrefix>-cluster`... */
  stackPrefix: string;
  /** Exactly three, in targets.eks.region: written out so synth needs no AWS lookup. */
  availabilityZones: string[];
  network: {
    /** 'one' NAT gateway (the seed's cost table) or one per AZ (no cross-AZ dependency). */
    natGateways: 'one' | 'per-az';
    /**
     * Interface endpoints (one per AZ, billed by the hour and GB) for these services; traffic to
     * the others crosses the NAT gateway (billed by the GB). The S3 gateway endpoint (free, and the
     * way ECR's image layers come in) is always there. `npm run cost` shows which pay for themselves
     * at `load.rps`; deploy/cost/cost.spec.ts holds the definition to that.
     */
    vpcEndpoints: InterfaceEndpoint[];
  };
  cluster: {
    /** An EKS-supported Kubernetes minor version, e.g. '1.35'. */
    kubernetesVersion: string;
    /** A managed node group the Cluster Autoscaler sizes, or EKS Auto Mode (AWS sizes the nodes). */
    compute: 'managed-nodes' | 'auto-mode';
    nodeGroup: { instanceType: string; min: number; max: number; desired: number; diskGiB: number };
    /** CIDRs allowed to reach the public API endpoint (never 0.0.0.0/0). */
    apiAllowedCidrs: string[];
    /** Name of the IAM role the cluster stack creates for CI and operators (cluster-admin access entry). */
    deployRoleName: string;
  };
  database: {
    instanceClass: string;
    /** PostgreSQL major.minor on RDS; the same major as dependencies.postgres on Hetzner. */
    engineVersion: string;
    multiAz: boolean;
    storageGiB: number;
    backupRetentionDays: number;
    deletionProtection: boolean;
    /** 0 to 2 read replicas of the primary. */
    readReplicas: number;
    /**
     * The RDS Proxy in front of the primary, rendered only when a worker lane runs on Lambda: many
     * short-lived functions share its pooled connections, each signing in with an IAM token.
     */
    proxy?: DatabaseProxySettings;
  };
  registry: { repository: string; keepImages: number };
  /** Bucket for database dumps (versioned); objects kept this many days. */
  backups: { bucket: string; retainDays: number };
  budget: { monthlyUsd: number; alertEmails: string[] };
  /** CloudWatch alarms (deploy/aws/alarms.ts); their thresholds are the definition's `alerts`. */
  alarms: {
    /** Subscribed by email to the alarms' SNS topic. */
    emails: string[];
    /**
     * The ALB's CloudWatch `LoadBalancer` dimension, `app/<name>/<id>` (the end of its ARN): known
     * once deploy:eks has made the ALB (like dns.eksTarget); its 5xx and response-time alarms watch it.
     */
    loadBalancer: string;
  };
  /**
   * A second region for disaster recovery (deploy/aws/dr.ts): daily snapshots of the primary copied
   * there by AWS Backup into a vault under a KMS key of that region (kept database.backupRetentionDays),
   * and the backups bucket replicated there. Absent = none.
   */
  dr?: { region: string };
}

/** AWS services the VPC can reach through an interface endpoint ('ecr' is two: the API and the registry). */
export type InterfaceEndpoint = 'sqs' | 'ecr' | 'secretsmanager' | 'sts' | 'logs';

export interface DatabaseProxySettings {
  /** The app's database user the functions connect as (IAM auth, no password); created by the operator. */
  user: string;
  /**
   * Secrets Manager secret (name) holding {"username","password"} of that user: the proxy logs in
   * to Postgres with it. The data stack generates it; the operator gives the user that password.
   */
  secretName: string;
  /** Share of the database's max_connections the proxy may open (1-100). */
  maxConnectionsPercent: number;
}

/** Everything but the targets: what all of them share. */
export type SharedDefinition = Omit<SpillwayDefinition, 'targets'>;

/**
 * What a renderer of one kind reads: the shared definition and one target of that kind, by name.
 * `queuePrefix` is the target's own (its override, else the definition's).
 */
export type TargetDefinition<T extends Target> = SharedDefinition & { target: Named<T> };
export type EksDefinition = TargetDefinition<EksTarget>;
export type ComposeDefinition = TargetDefinition<ComposeTarget>;

export const HEALTH = { live: '/health/live', ready: '/health/ready' } as const;

export const ENTRYPOINTS: Record<Role, string[]> = {
  absorber: ['node', 'dist/apps/absorber/src/main.js'],
  worker: ['node', 'dist/apps/worker/src/main.js'],
};

/**
 * The one-shot migration step (`npm run migrate`): a compose service the workers wait for on
 * Hetzner, a Job per image on EKS. Neither app migrates; it reads only DATABASE_URL.
 */
export const MIGRATE_STEP = {
  name: 'migrate',
  command: ['node', 'dist/libs/db/src/migrate.js'],
  secrets: ['DATABASE_URL'],
  /** The advisory lock's session and the migrations' own: two connections (DB_POOL_MAX). */
  dbPoolMax: 2,
  /** The Job's pod on EKS. */
  resources: { requests: { cpuMillis: 100, memoryMiB: 128 }, limits: { cpuMillis: 500, memoryMiB: 256 } },
} as const;
