// What each service's process sees, per target. Both renderers call this, so the env of a
// container on Hetzner and of a pod on EKS differ only where the definition says they should.
import { ServiceSpec, SpillwayDefinition, TargetName } from './definition';
import { webhookEnv, webhookRoutes } from './webhooks';

/** `payment.captured=critical,analytics.*=low`, in the definition's order (the router sorts). */
export function laneRoutesEnv(def: SpillwayDefinition): string {
  return [...Object.entries(def.routes).map(([pattern, lane]) => `${pattern}=${lane}`), ...webhookRoutes(def)].join(',');
}

/** Variables computed from typed fields; setting them by hand in `env` would fork the truth. */
export const DERIVED_ENV = [
  'PORT',
  'METRICS_PORT',
  'WORKER_HEALTH_PORT',
  'WORKER_LANES',
  'QUEUE_PREFIX',
  'LANE_ROUTES',
  'MAX_ATTEMPTS',
  'LEASE_MS',
  'SHUTDOWN_TIMEOUT_MS',
  'AWS_REGION',
  'WEBHOOK_SOURCES',
  'WEBHOOK_RATE_LIMITS',
] as const;

function derivedEnv(def: SpillwayDefinition, svc: ServiceSpec, target: TargetName): Record<string, string> {
  const env: Record<string, string> = {
    QUEUE_PREFIX: def.queuePrefix,
    MAX_ATTEMPTS: String(def.maxAttempts),
    LEASE_MS: String(def.leaseMs),
    SHUTDOWN_TIMEOUT_MS: String(def.shutdownTimeoutMs),
  };
  const routes = laneRoutesEnv(def);
  if (routes) env.LANE_ROUTES = routes;
  if (target === 'eks') env.AWS_REGION = def.targets.eks.region;
  if (svc.role === 'absorber') {
    env.PORT = String(svc.port);
    if (svc.metricsPort) env.METRICS_PORT = String(svc.metricsPort);
    Object.assign(env, webhookEnv(def));
  } else {
    env.WORKER_HEALTH_PORT = String(svc.port);
    env.WORKER_LANES = (svc.lanes ?? []).join(',');
  }
  return env;
}

/** Plain (non-secret) env of one service on one target, keys sorted for stable output. */
export function plainEnv(def: SpillwayDefinition, svc: ServiceSpec, target: TargetName): Record<string, string> {
  const merged = { ...def.env, ...def.targets[target].env, ...svc.env, ...derivedEnv(def, svc, target) };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Plain env of the migration step: the shared env only (it reads DATABASE_URL, a secret). */
export function migrateEnv(def: SpillwayDefinition, target: TargetName): Record<string, string> {
  const merged = { ...def.env, ...def.targets[target].env, QUEUE_PREFIX: def.queuePrefix };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Secret env names of one service, sorted. */
export function secretNames(svc: ServiceSpec): string[] {
  return [...svc.secrets].sort();
}
