// What each service's process sees, per target. Both renderers call this, so the env of a
// container on Hetzner and of a pod on EKS differ only where the definition says they should.
import { EksDefinition, MIGRATE_STEP, Named, ServiceSpec, SharedDefinition, Target } from './definition';
import { webhookEnv, webhookRoutes } from './webhooks';
import { podLanes } from './lambda-lanes';
import { payloadBucket } from './queues';
import { queuePrefixOf } from './targets';
import { absorberNodeOptions } from './node-options';
import { Lane } from '@spillway/config/lanes';

/** `payment.captured=critical,analytics.*=low`, in the definition's order (the router sorts). */
export function laneRoutesEnv(def: SharedDefinition): string {
  return [...Object.entries(def.routes).map(([pattern, lane]) => `${pattern}=${lane}`), ...webhookRoutes(def)].join(',');
}

/** Variables computed from typed fields; setting them by hand in `env` would fork the truth. */
export const DERIVED_ENV = [
  'PORT',
  'METRICS_PORT',
  'WORKER_HEALTH_PORT',
  'WORKER_LANES',
  'QUEUE_PREFIX',
  'QUEUE_DRIVER',
  'LANE_ROUTES',
  'MAX_ATTEMPTS',
  'LEASE_MS',
  'SHUTDOWN_TIMEOUT_MS',
  'AWS_REGION',
  'WEBHOOK_SOURCES',
  'WEBHOOK_RATE_LIMITS',
  'DB_POOL_MAX',
  'DATABASE_CA',
  'SQS_PAYLOAD_BUCKET',
  'NODE_OPTIONS',
] as const;

/**
 * EKS's database is the RDS instance (or its proxy) the AWS stacks make, whose certificates chain
 * to RDS's own CAs, not to any in Node's store: the apps trust the RDS bundle the image carries.
 */
function databaseEnv(target: Target): Record<string, string> {
  return target.kind === 'eks' ? { DATABASE_CA: 'rds' } : {};
}

/** What every process of a target needs to reach its broker: the driver, and the SQS region and bucket. */
function brokerEnv(def: SharedDefinition, target: Target): Record<string, string> {
  const env: Record<string, string> = { QUEUE_DRIVER: target.broker.kind };
  if (target.kind === 'eks') env.AWS_REGION = target.region;
  if (target.kind === 'eks' && target.broker.kind === 'sqs') env.SQS_PAYLOAD_BUCKET = payloadBucket(queuePrefixOf(def, target), target.accountId);
  return env;
}

function derivedEnv(def: SharedDefinition, svc: ServiceSpec, target: Target): Record<string, string> {
  const env: Record<string, string> = {
    QUEUE_PREFIX: queuePrefixOf(def, target),
    MAX_ATTEMPTS: String(def.maxAttempts),
    LEASE_MS: String(def.leaseMs),
    SHUTDOWN_TIMEOUT_MS: String(def.shutdownTimeoutMs),
  };
  Object.assign(env, databaseEnv(target));
  const routes = laneRoutesEnv(def);
  if (routes) env.LANE_ROUTES = routes;
  Object.assign(env, brokerEnv(def, target));
  if (svc.dbPoolMax !== undefined) env.DB_POOL_MAX = String(svc.dbPoolMax);
  if (svc.role === 'absorber') {
    env.PORT = String(svc.port);
    env.NODE_OPTIONS = absorberNodeOptions();
    if (svc.metricsPort) env.METRICS_PORT = String(svc.metricsPort);
    Object.assign(env, webhookEnv(def));
  } else {
    env.WORKER_HEALTH_PORT = String(svc.port);
    // On EKS the lanes that run as Lambda functions are not the pods' (deploy/model/lambda-lanes.ts).
    env.WORKER_LANES = podLanes(svc, target).join(',');
  }
  return env;
}

/** Plain (non-secret) env of one service on one target, keys sorted for stable output. */
export function plainEnv(def: SharedDefinition, svc: ServiceSpec, target: Named<Target>): Record<string, string> {
  const merged = { ...def.env, ...target.env, ...svc.env, ...derivedEnv(def, svc, target) };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Plain env of the migration step: the shared env and its pool size (it reads DATABASE_URL, a secret). */
export function migrateEnv(def: SharedDefinition, target: Named<Target>): Record<string, string> {
  const merged = { ...def.env, ...target.env, QUEUE_DRIVER: target.broker.kind, QUEUE_PREFIX: queuePrefixOf(def, target), DB_POOL_MAX: String(MIGRATE_STEP.dbPoolMax), ...databaseEnv(target) };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Secret env names of one service, sorted. */
export function secretNames(svc: ServiceSpec): string[] {
  return [...svc.secrets].sort();
}

/**
 * Pod-only variables: no health server, no SIGTERM drain (Lambda freezes the process), and
 * AWS_REGION is reserved (Lambda sets it itself and refuses a function that sets it).
 */
const NOT_ON_LAMBDA = ['AWS_REGION', 'WORKER_HEALTH_PORT', 'SHUTDOWN_TIMEOUT_MS', 'WORKER_CONCURRENCY'];

/**
 * The function's env: the worker's EKS env without the pod-only variables, its one lane, the
 * payload bucket, a small pool and DATABASE_URL without a password (the runtime signs an RDS IAM
 * token per connection: DATABASE_IAM_AUTH=on).
 */
export function lambdaEnv(def: EksDefinition, svc: ServiceSpec, lane: Lane, at: { databaseUrl: string; payloadBucket: string }): Record<string, string> {
  const env: Record<string, string> = { ...plainEnv(def, svc, def.target) };
  for (const name of NOT_ON_LAMBDA) delete env[name];
  Object.assign(env, {
    QUEUE_DRIVER: 'sqs',
    WORKER_LANES: lane,
    SQS_PAYLOAD_BUCKET: at.payloadBucket,
    DB_POOL_MAX: String(svc.lambda!.dbPoolMax),
    DATABASE_IAM_AUTH: 'on',
    DATABASE_URL: at.databaseUrl,
  });
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

