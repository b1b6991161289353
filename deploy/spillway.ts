// THE deployment definition of Spillway. `npm run synth` renders it into docker-compose.yml
// (Hetzner), deploy/eks/rendered/ (Kubernetes) and deploy/aws/rendered/ (the AWS account, CDK).
// Change things here, never in the rendered files: `npm run synth -- --check` fails on drift.
import { AwsSettings, Resources, SpillwayDefinition, TrafficWeights } from './model/definition';
// Written by `npm run cutover`; everything else about traffic is here.
import traffic from './traffic.json';

// The seed's sizing for every pod: requests 200m/256Mi, limits 500m/512Mi.
const resources: Resources = {
  requests: { cpuMillis: 200, memoryMiB: 256 },
  limits: { cpuMillis: 500, memoryMiB: 512 },
};

// The Hetzner box (CX22: 2 vCPU, 4 GiB) shared by every container. Memory limits add up to 3.5 GiB
// with the monitoring profile, leaving 512 MiB to the OS, Docker and Caddy. CPU limits may overlap:
// the absorber takes the box during a spike (one Node process uses ~1 core, GC and libuv threads the
// rest), workers catch up after. The absorber's bench RSS peak is 218 MB (docs/benchmark.md), so 640
// MiB leaves it three times that; Redis keeps 256 MiB over its maxmemory for an AOF rewrite's fork.
const onBox = (cpuMillis: number, memoryMiB: number): Resources => ({
  requests: { cpuMillis: Math.min(cpuMillis, 250), memoryMiB: Math.min(memoryMiB, 256) },
  limits: { cpuMillis, memoryMiB },
});

// The AWS account of the EKS target (deploy/aws/).
const AWS: AwsSettings = {
  stackPrefix: 'spillway',
  availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
  // SQS through an interface endpoint: at load.rps its traffic would cost more in NAT fees (docs/cost/cost.md).
  network: { natGateways: 'one', vpcEndpoints: ['sqs'] },
  cluster: {
    kubernetesVersion: '1.35',
    compute: 'managed-nodes',
    // The seed: t3.medium, 3 to 10 nodes.
    nodeGroup: { instanceType: 't3.medium', min: 3, max: 10, desired: 3, diskGiB: 40 },
    apiAllowedCidrs: ['203.0.113.0/24'],
    deployRoleName: 'spillway-deploy',
  },
  // The seed: db.t3.medium, Multi-AZ, 100 GB gp3, 7-day backups, one read replica.
  database: {
    instanceClass: 'db.t3.medium',
    engineVersion: '16.13',
    multiAz: true,
    storageGiB: 100,
    backupRetentionDays: 7,
    deletionProtection: true,
    readReplicas: 1,
    // The Lambda lanes' way in (IAM auth, TLS); the secret holds the app user's {username,password}.
    proxy: { user: 'spillway_app', secretName: 'spillway/db-app', maxConnectionsPercent: 50 },
  },
  registry: { repository: 'spillway', keepImages: 50 },
  backups: { bucket: 'spillway-db-backups-123456789012', retainDays: 35 },
  // Above what these stacks cost a month idle (about 590 USD: docs/aws.md, npm run cost), so the
  // forecast alert does not fire in the first month; cost.spec.ts holds it there.
  budget: { monthlyUsd: 650, alertEmails: ['ops@example.com'] },
  // The ALB's id: `aws elbv2 describe-load-balancers` after deploy:eks (docs/aws.md, step 9).
  alarms: { emails: ['ops@example.com'], loadBalancer: 'app/spillway-absorber/0123456789abcdef' },
};

export const spillway: SpillwayDefinition = {
  name: 'spillway',
  queuePrefix: 'spillway',
  maxAttempts: 5,
  leaseMs: 30_000,
  routes: {
    'payment.captured': 'critical',
    'analytics.*': 'low',
  },
  env: { LOG_LEVEL: 'info' },
  secrets: {
    DATABASE_URL: { remoteKey: 'spillway/prod', property: 'DATABASE_URL' },
    INGEST_API_KEYS: { remoteKey: 'spillway/prod', property: 'INGEST_API_KEYS' },
    POSTGRES_PASSWORD: { remoteKey: 'spillway/prod', property: 'POSTGRES_PASSWORD' },
    WEBHOOK_SECRET_GITHUB: { remoteKey: 'spillway/prod', property: 'WEBHOOK_SECRET_GITHUB' },
  },
  // POST /v1/hooks/<name> (docs/webhooks.md). Routes match the derived type without the source
  // prefix; `*` is the source's default lane. rateLimit: events/s per absorber replica.
  webhooks: {
    github: { provider: 'github', routes: { '*': 'low', 'push': 'normal' }, rateLimit: 200 },
  },
  shutdownTimeoutMs: 25_000,
  // Read by the Prometheus rules (Hetzner) and the CloudWatch alarms (AWS): set them here only.
  alerts: {
    oldestEventSeconds: { critical: 60, normal: 300, low: 1800 },
    deadLetters: 0,
    serverErrorRatio: 0.01,
    diskFreeRatio: 0.15,
    forMinutes: 5,
    responseP99Seconds: 1,
    database: { cpuPercent: 80, connections: 300, replicaLagSeconds: 30 },
  },
  services: [
    {
      name: 'absorber',
      role: 'absorber',
      port: 8080,
      metricsPort: 9464,
      secrets: ['DATABASE_URL', 'INGEST_API_KEYS', 'WEBHOOK_SECRET_GITHUB'],
      // Slow clients: a half-sent request is cut in seconds, not after Node's 300 s.
      env: {
        HTTP_HEADERS_TIMEOUT_MS: '10000',
        HTTP_REQUEST_TIMEOUT_MS: '30000',
        HTTP_KEEPALIVE_TIMEOUT_MS: '72000',
        HTTP_MAX_CONNECTIONS: '10000',
        // Per API key and replica (2 s bursts): one tenant cannot take a replica's whole intake.
        TENANT_RATE_LIMIT: '1000',
      },
      resources,
      // The seed's 5-50. At 50 (plus the idle slot's 5 during a release) the absorbers' CPU requests
      // still fit 10 t3.medium nodes because the worker's maximum gave (below).
      autoscaling: { min: 5, max: 50, cpuPercent: 70 },
      // The Idempotency-Key store's pool: two short statements per keyed request, about 1 ms each
      // in the VPC. 55 x 2 of the database's connections at full scale (deploy/model/capacity.ts).
      dbPoolMax: 2,
      public: true,
      // The broker only: the absorber starts and answers 202 while Postgres is down or migrating.
      dependsOn: ['redis'],
    },
    {
      name: 'worker',
      role: 'worker',
      port: 8081,
      lanes: ['critical', 'normal', 'low'],
      env: { WORKER_CONCURRENCY: 'critical=8,normal=4,low=2' },
      secrets: ['DATABASE_URL'],
      resources,
      // The seed had 1-20. What gives so the rest holds at full scale (deploy/model/capacity.ts):
      // 20 x 200m with the absorber at 55 came to 20,800m of CPU requests against 10 t3.medium's
      // 19,300m, and 20 x 20 connections alone were more than db.t3.medium's 450 allows. 8 pods
      // drain far more than the 10K rps load plan needs (docs/cost/: one worker at 10K rps).
      autoscaling: { min: 1, max: 8, queueDepthPerReplica: 100 },
      // One connection per delivery in flight (critical 8 + normal 4 + low 2 on Hetzner) and one
      // for the failure check; 8 x 15 at full scale.
      dbPoolMax: 15,
      public: false,
      // Workers start once `npm run migrate` has completed (they also wait for the schema themselves).
      dependsOn: ['redis', 'postgres', 'migrate'],
      // On EKS the bursty analytics lane runs as a Lambda function (docs/lambda.md): nothing runs
      // between spikes, a spike gets up to 50 concurrent batches in seconds. 20 s stays under the
      // 30 s lease (the queue's visibility timeout); 50 x 2 connections fit the database's 300.
      lambda: { lanes: ['low'], memoryMiB: 512, timeoutSeconds: 20, batchSize: 25, batchingWindowSeconds: 1, maxConcurrency: 50, dbPoolMax: 2, architecture: 'arm64' },
    },
  ],
  dependencies: {
    postgres: { image: 'postgres:16-bookworm', database: 'spillway', user: 'spillway', passwordSecret: 'POSTGRES_PASSWORD' },
  },
  targets: {
    hetzner: {
      kind: 'compose',
      // maxmemory below the container limit: an AOF rewrite forks, and the copy-on-write pages need room.
      // REDIS_URL (redis://<service's ACL user>:<password>@redis:6379) is in each service's secrets file.
      broker: { kind: 'bullmq', redis: { image: 'redis:7-bookworm', appendOnly: true, maxMemoryMiB: 640, resources: onBox(1000, 896) } },
      // One container each: the absorber's published port allows only one.
      services: {
        absorber: { replicas: 1, resources: onBox(1500, 640) },
        worker: { replicas: 1, resources: onBox(1000, 512) },
      },
      postgres: { resources: onBox(1000, 768) },
      host: 'spillway-1.example.com',
      sshUser: 'deploy',
      image: 'spillway:local',
      box: { type: 'CX22', vcpus: 2, memoryMiB: 4096 },
      secretsDir: 'deploy/hetzner/secrets',
      publishAddress: '127.0.0.1',
      domain: 'ingest.example.com',
      tlsProxyImage: 'caddy:2',
      backup: {
        everyHours: 24,
        retentionDays: 30,
        keepMin: 7,
        s3: { endpoint: 'https://fsn1.your-objectstorage.com', region: 'fsn1', bucket: 'spillway-backups', prefix: 'spillway/postgres/' },
        secrets: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'BACKUP_ENCRYPTION_KEY', 'DATABASE_URL'],
        resources: onBox(500, 256),
      },
      // `docker compose --profile monitoring up -d` (docs/operations.md). Prometheus at a few
      // hundred series and 15 days needs well under its 256 MiB; the exporters use ~15 MiB each.
      monitoring: {
        scrapeSeconds: 15,
        retentionDays: 15,
        ports: { prometheus: 9090, grafana: 3000 },
        containers: {
          prometheus: { image: 'prom/prometheus:v3.5.0', secrets: [], resources: onBox(500, 256) },
          grafana: { image: 'grafana/grafana:12.1.1', secrets: ['GF_SECURITY_ADMIN_PASSWORD'], resources: onBox(500, 160) },
          'redis-exporter': { image: 'oliver006/redis_exporter:v1.91.1', secrets: ['REDIS_PASSWORD'], resources: onBox(250, 32) },
          'postgres-exporter': {
            image: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1',
            secrets: ['DATA_SOURCE_NAME'],
            resources: onBox(250, 32),
          },
          'node-exporter': { image: 'quay.io/prometheus/node-exporter:v1.9.1', secrets: [], resources: onBox(250, 32) },
        },
      },
      env: {},
    },
    eks: {
      kind: 'eks',
      broker: { kind: 'sqs' },
      cluster: 'spillway-prod',
      region: 'eu-central-1',
      accountId: '123456789012',
      namespace: 'spillway',
      image: '123456789012.dkr.ecr.eu-central-1.amazonaws.com/spillway:0.1.0',
      domain: 'ingest.example.com',
      certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
      roleName: 'spillway-workload',
      vpcCidr: '10.0.0.0/16',
      weights: { blue: 100, green: 0 },
      slot: 'blue',
      preStopSeconds: 10,
      env: {},
      aws: AWS,
    },
  },
  dns: {
    zoneId: 'Z0123456789ABCDEFGHIJ',
    name: 'ingest.example.com',
    ttl: 60,
    records: {
      hetzner: 'spillway-1.example.com',
      eks: 'spillway-absorber-0123456789.eu-central-1.elb.amazonaws.com',
    },
    weights: traffic as TrafficWeights,
  },
  // The seed's staging test: k6 at 10K rps (deploy/k6/rendered/), also the rate docs/cost/ plans for.
  load: {
    rps: 10_000,
    durationSeconds: 600,
    laneMix: { critical: 10, normal: 70, low: 20 },
    thresholds: { failedRatio: 0.01, p95Ms: 200, p99Ms: 500, droppedIterations: 0 },
    vus: { preAllocated: 1000, max: 5000 },
  },
  // The box-to-VPC path for the move window (docs/move-path.md): AWS Site-to-Site VPN, strongSwan
  // on the box. Remove it once the move is over (docs/move-path.md, "Closing").
  movePath: {
    kind: 'site-to-site-vpn',
    boxPublicIp: '203.0.113.10',
    boxTunnelAddress: '10.255.0.1',
    pskSecretName: 'spillway/move-path-psk',
  },
  release: {
    repository: 'example-org/spillway',
    branch: 'main',
    environments: { release: 'release', production: 'production', hetzner: 'hetzner' },
    ciRoleName: 'spillway-github-release',
    githubOidcProvider: 'create',
    // The deploy jobs run inside the VPC (CodeBuild-hosted runners): docs/release.md, "Runners".
    runner: { connectionArn: 'arn:aws:codeconnections:eu-central-1:123456789012:connection/00000000-0000-0000-0000-000000000000', computeType: 'BUILD_GENERAL1_SMALL' },
    nodeVersion: '24',
    hetznerReleaseLog: '.spillway/releases.log',
  },
};
