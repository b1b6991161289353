// THE deployment definition of Spillway. `npm run synth` renders it into docker-compose.yml
// (Hetzner), deploy/eks/rendered/ (Kubernetes) and deploy/eks/terraform/ (SQS + IAM).
// Change things here, never in the rendered files: `npm run synth -- --check` fails on drift.
import { Resources, SpillwayDefinition, TrafficWeights } from './model/definition';
// Written by `npm run cutover`; everything else about traffic is here.
import traffic from './traffic.json';

// The seed's sizing for every pod: requests 200m/256Mi, limits 500m/512Mi.
const resources: Resources = {
  requests: { cpuMillis: 200, memoryMiB: 256 },
  limits: { cpuMillis: 500, memoryMiB: 512 },
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
  },
  shutdownTimeoutMs: 25_000,
  // Read by the Prometheus rules (Hetzner) and the CloudWatch alarms (AWS): set them here only.
  alerts: {
    oldestEventSeconds: { critical: 60, normal: 300, low: 1800 },
    deadLetters: 0,
    serverErrorRatio: 0.01,
    diskFreeRatio: 0.15,
    forMinutes: 5,
  },
  services: [
    {
      name: 'absorber',
      role: 'absorber',
      port: 8080,
      secrets: ['DATABASE_URL', 'INGEST_API_KEYS'],
      resources,
      autoscaling: { min: 5, max: 50, cpuPercent: 70 },
      hetznerReplicas: 1,
      public: true,
      dependsOn: ['redis', 'postgres'],
    },
    {
      name: 'worker',
      role: 'worker',
      port: 8081,
      lanes: ['critical', 'normal', 'low'],
      env: { WORKER_CONCURRENCY: 'critical=8,normal=4,low=2' },
      secrets: ['DATABASE_URL'],
      resources,
      autoscaling: { min: 1, max: 20, queueDepthPerReplica: 100 },
      hetznerReplicas: 1,
      public: false,
      // The absorber runs the migrations; workers start once it is healthy.
      dependsOn: ['redis', 'postgres', 'absorber'],
    },
  ],
  dependencies: {
    redis: { image: 'redis:7-bookworm', appendOnly: true },
    postgres: { image: 'postgres:16-bookworm', database: 'spillway', user: 'spillway', passwordSecret: 'POSTGRES_PASSWORD' },
  },
  targets: {
    hetzner: {
      host: 'spillway-1.example.com',
      sshUser: 'deploy',
      image: 'spillway:local',
      envFile: 'deploy/hetzner/.env',
      domain: 'ingest.example.com',
      tlsProxyImage: 'caddy:2',
      env: { QUEUE_DRIVER: 'bullmq', REDIS_URL: 'redis://redis:6379' },
    },
    eks: {
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
      env: { QUEUE_DRIVER: 'sqs' },
    },
  },
  dns: {
    zoneId: 'Z0123456789ABCDEFGHIJ',
    name: 'ingest.example.com',
    ttl: 60,
    hetznerTarget: 'spillway-1.example.com',
    eksTarget: 'k8s-spillway-absorber-0123456789.eu-central-1.elb.amazonaws.com',
    weights: traffic as TrafficWeights,
  },
};
