// Renders the Hetzner stack (the root docker-compose.yml) from the definition: one box, Redis with
// AOF, Postgres, the absorber and workers, secrets from one git-ignored env file per service,
// optional Caddy TLS.
import { stringify } from 'yaml';
import { ENTRYPOINTS, HEALTH, MIGRATE_STEP, Resources, ServiceSpec, ComposeDefinition } from '../model/definition';
import { migrateEnv, plainEnv } from '../model/env';
import { composeImage } from '../release/image-ref';
import { backupService } from './backup-service';
import { BOX_NETWORKS, placeOnNetworks } from './box-networks';
import { BOX_ACCESS_FILES, databaseRoles, DB_ROLES_SERVICE } from './database-roles';
import { monitoringServices } from './monitoring-services';
import { REDIS_ACL_DIR, redisUsers } from './redis-acl';
import { boxSecrets, secretFile } from './secret-files';

type Obj = Record<string, unknown>;

const CHECK_TIMING = { interval: '5s', timeout: '3s', retries: 10 };

/** The image has no curl; Node 24's fetch does the probe. Ready, so dependants wait for migrations. */
function httpCheck(port: number): Obj {
  const probe = `fetch('http://127.0.0.1:${port}${HEALTH.ready}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return { test: ['CMD', 'node', '-e', probe], ...CHECK_TIMING, start_period: '30s' };
}

/** The one-shot steps run once and exit, so what waits for them waits for their success. */
function dependsOn(names: string[]): Obj {
  const condition = (n: string) => ([MIGRATE_STEP.name, DB_ROLES_SERVICE].includes(n) ? 'service_completed_successfully' : 'service_healthy');
  return Object.fromEntries(names.map((n) => [n, { condition: condition(n) }]));
}

/**
 * The same hardening as the EKS pods: nothing in the image is written at run time. A fresh object
 * each call: YAML would write a shared array once with an anchor, which compose cannot read.
 */
const hardening = () => ({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });

/** `npm run migrate` once per `up`, after Postgres is healthy; no restart, no healthcheck. */
function migrateService(def: ComposeDefinition): Obj {
  return {
    [MIGRATE_STEP.name]: {
      image: composeImage(def),
      command: [...MIGRATE_STEP.command],
      environment: migrateEnv(def, def.target),
      env_file: [secretFile(def, MIGRATE_STEP.name)],
      'x-secrets': [...MIGRATE_STEP.secrets],
      depends_on: dependsOn(['postgres', DB_ROLES_SERVICE]),
      restart: 'no',
      ...hardening(),
    },
  };
}

const databaseRoleSecrets = (def: ComposeDefinition) => databaseRoles(def).map((r) => r.passwordEnv);

/**
 * Before `migrate`, once per `up`: the per-service Postgres roles (database-roles.ts), made or
 * updated by psql as the superuser. The only container that holds the superuser's password
 * besides Postgres itself (PGPASSWORD in db-roles.env).
 */
function dbRolesService(def: ComposeDefinition): Obj {
  const pg = def.dependencies.postgres;
  const inContainer = '/etc/spillway/db-roles.sql';
  return {
    [DB_ROLES_SERVICE]: {
      image: pg.image,
      command: ['psql', '-X', '-q', '-h', 'postgres', '-U', pg.user, '-d', pg.database, '-f', inContainer],
      env_file: [secretFile(def, DB_ROLES_SERVICE)],
      'x-secrets': ['PGPASSWORD', ...databaseRoleSecrets(def)],
      volumes: [`./${BOX_ACCESS_FILES.rolesSql}:${inContainer}:ro`],
      depends_on: dependsOn(['postgres']),
      restart: 'no',
      ...hardening(),
    },
  };
}

/** The box's sizing (the target's own `resources`), never the EKS pod limits. */
function resources(r: Resources): Obj {
  const cpus = (m: number) => String(m / 1000);
  const mem = (mib: number) => `${mib}M`;
  return {
    limits: { cpus: cpus(r.limits.cpuMillis), memory: mem(r.limits.memoryMiB) },
    // No CPU reservation: one box has nothing to schedule, and docker-compose 1.29 warns on it.
    reservations: { memory: mem(r.requests.memoryMiB) },
  };
}

/**
 * Labels for anyone who runs kompose on this file, limited to what kompose can express the way the
 * EKS renderer does: the absorber's CPU-based range and its public Service. A worker gets none:
 * it scales on queue depth (KEDA), and any kompose.hpa label would make kompose fill the rest
 * with its defaults and build a CPU autoscaler instead. kompose also turns env files into
 * ConfigMaps (secrets in plain text), so deploy/eks/rendered, not kompose, is the EKS output.
 */
function komposeLabels(svc: ServiceSpec): Record<string, string> | undefined {
  const a = svc.autoscaling;
  if (!('cpuPercent' in a)) return undefined;
  const labels: Record<string, string> = {
    'kompose.hpa.replicas.min': String(Math.max(a.min, 1)),
    'kompose.hpa.replicas.max': String(a.max),
    'kompose.hpa.cpu': String(a.cpuPercent),
  };
  if (svc.public) labels['kompose.service.type'] = 'loadbalancer';
  return labels;
}

function appService(def: ComposeDefinition, svc: ServiceSpec): Obj {
  const het = def.target;
  const service: Obj = {
    // A release sets SPILLWAY_IMAGE to a digest (npm run release); unset, the local build.
    image: composeImage(def),
    command: ENTRYPOINTS[svc.role],
    environment: plainEnv(def, svc, def.target),
    // Names this service's env file must hold, and nothing else; compose ignores x- keys.
    'x-secrets': boxSecrets(def, svc),
    healthcheck: httpCheck(svc.port),
    depends_on: dependsOn(svc.dependsOn),
    restart: 'unless-stopped',
    // Drain time plus a margin before Docker sends SIGKILL.
    stop_grace_period: `${Math.ceil(def.shutdownTimeoutMs / 1000) + 5}s`,
    deploy: { replicas: het.services[svc.name].replicas, resources: resources(het.services[svc.name].resources) },
    ...hardening(),
  };
  const labels = komposeLabels(svc);
  if (labels) service.labels = labels;
  if (boxSecrets(def, svc).length) service.env_file = [secretFile(def, svc.name)];
  if (svc.role === 'absorber') service.build = '.';
  // Docker's published ports bypass the host firewall: bind to the address the definition names.
  if (svc.public) service.ports = [`${het.publishAddress}:${svc.port}:${svc.port}`];
  return service;
}

function dependencyServices(def: ComposeDefinition): Obj {
  const { postgres } = def.dependencies;
  const redis = def.target.broker.redis;
  const redisCommand = ['redis-server'];
  // fsync before every reply: a 202 then means the event survives kill -9 of Redis (test/faults).
  if (redis.appendOnly) redisCommand.push('--appendonly', 'yes', '--appendfsync', 'always');
  // BullMQ requires noeviction: a full Redis refuses writes (the absorber sheds before that)
  // instead of silently dropping queued jobs.
  redisCommand.push('--maxmemory', `${redis.maxMemoryMiB}mb`, '--maxmemory-policy', 'noeviction');
  const aclScript = '/etc/spillway/redis-acl.sh';
  return {
    redis: {
      image: redis.image,
      // The ACL start script (redis-acl.ts) writes the users' file from redis.env, then starts Redis.
      command: ['sh', aclScript, ...redisCommand.slice(1)],
      env_file: [secretFile(def, 'redis')],
      'x-secrets': redisUsers(def).map((u) => u.passwordEnv).sort(),
      volumes: ['redis-data:/data', `./${BOX_ACCESS_FILES.redisAcl}:${aclScript}:ro`],
      tmpfs: [REDIS_ACL_DIR],
      // As the exporter's user (the default user is off); the password through the environment.
      healthcheck: { test: ['CMD-SHELL', 'REDISCLI_AUTH="$$REDIS_EXPORTER_PASSWORD" redis-cli --user exporter ping | grep -q PONG'], ...CHECK_TIMING },
      deploy: { resources: resources(redis.resources) },
      restart: 'unless-stopped',
    },
    postgres: {
      image: postgres.image,
      environment: { POSTGRES_DB: postgres.database, POSTGRES_USER: postgres.user },
      // POSTGRES_PASSWORD comes from postgres's own env file, like every secret.
      env_file: [secretFile(def, 'postgres')],
      'x-secrets': [postgres.passwordSecret],
      volumes: ['postgres-data:/var/lib/postgresql/data'],
      healthcheck: { test: ['CMD', 'pg_isready', '-U', postgres.user, '-d', postgres.database], ...CHECK_TIMING },
      deploy: { resources: resources(def.target.postgres.resources) },
      restart: 'unless-stopped',
    },
  };
}

/** TLS in front of the public service, only with `--profile tls` (Caddy gets the certificate). */
function proxyService(def: ComposeDefinition): Obj {
  const pub = def.services.find((s) => s.public);
  if (!pub) return {};
  return {
    caddy: {
      image: def.target.tlsProxyImage,
      profiles: ['tls'],
      command: ['caddy', 'reverse-proxy', '--from', def.target.domain, '--to', `${pub.name}:${pub.port}`],
      ports: ['80:80', '443:443'],
      volumes: ['caddy-data:/data', 'caddy-config:/config'],
      depends_on: dependsOn([pub.name]),
      restart: 'unless-stopped',
    },
  };
}

/** The compose file as an object (validated against the compose-spec schema by the caller). */
export function composeObject(def: ComposeDefinition): Obj {
  const services: Obj = {
    ...dependencyServices(def),
    ...dbRolesService(def),
    ...migrateService(def),
    ...proxyService(def),
    ...backupService(def, resources),
    ...monitoringServices(def, resources),
  };
  for (const svc of def.services) services[svc.name] = appService(def, svc);
  placeOnNetworks(services as Record<string, Obj>, def.services);
  const volumes: Obj = { 'redis-data': {}, 'postgres-data': {}, 'backup-work': {}, 'prometheus-data': {}, 'grafana-data': {} };
  if (services.caddy) Object.assign(volumes, { 'caddy-data': {}, 'caddy-config': {} });
  return { services, volumes, networks: structuredClone(BOX_NETWORKS) };
}

function header(def: ComposeDefinition): string {
  const het = def.target;
  return [
    ' Rendered by `npm run synth` from deploy/spillway.ts: edit the definition, not this file.',
    ` Secrets: one env file per service, ${het.secretsDir}/<service>.env (copy each <service>.env.example).`,
    ` The public port is published on ${het.publishAddress}; TLS proxy: docker compose --profile tls up -d`,
    ` Prometheus, Grafana and exporters: docker compose --profile monitoring up -d (docs/operations.md)`,
  ].join('\n');
}

export function renderCompose(def: ComposeDefinition): string {
  // YAML 1.1 quoting: docker-compose 1.29 (PyYAML) would read `yes` as true and `22:22` as a number.
  const body = stringify(composeObject(def), { sortMapEntries: true, lineWidth: 0, version: '1.1' });
  return `#${header(def).replace(/\n/g, '\n#')}\n${body}`;
}
