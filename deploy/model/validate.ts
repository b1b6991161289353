// Checks the definition before anything is rendered. Every problem names the field it is about,
// and the env each service would get is run through the apps' own config loader, so a definition
// that renders is one the processes will accept at start.
import { ConfigError, ingestAuthProblem, loadConfig } from '@spillway/config/config';
import { loadLambdaConfig } from '@spillway/config/lambda-config';
import { isLane, LANES } from '@spillway/config/lanes';
import { MIGRATE_STEP, ServiceSpec, SpillwayDefinition } from './definition';
import { capacityProblems } from './capacity';
import { lambdaEnv, plainEnv } from './env';
import { lambdaProblems } from './lambda-checks';
import { lambdaLanes, runsPods } from './lambda-lanes';
import { loadPlanProblems } from './load-plan';
import { movePathProblems } from './move-path';
import { targetDefinition, targetsOfKind } from './targets';
import { checkEnv, DNS_LABEL, ENV_NAME, targetProblems } from './validate-targets';
import { webhookProblems, webhookSecretNames } from './webhooks';

const HELD_WHSEC = `whsec_${Buffer.from('held by the secret store: 32 byte').toString('base64')}`;

export class DefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid deploy definition:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}


const DEPENDENCIES = ['redis', 'postgres', MIGRATE_STEP.name];

function checkService(p: string[], def: SpillwayDefinition, svc: ServiceSpec, i: number): void {
  const f = `services[${i}]`;
  if (!DNS_LABEL.test(svc.name)) p.push(`${f}.name: "${svc.name}" must be a DNS label (a-z, 0-9, -)`);
  if (!Number.isInteger(svc.port) || svc.port < 1 || svc.port > 65535) p.push(`${f}.port: must be 1-65535`);
  if (svc.role === 'absorber') {
    const m = svc.metricsPort;
    if (!Number.isInteger(m) || m! < 1 || m! > 65535) p.push(`${f}.metricsPort: the absorber serves /metrics on a port of its own, 1-65535`);
    else if (m === svc.port) p.push(`${f}.metricsPort: must differ from port (the public API never serves /metrics)`);
  } else if (svc.metricsPort !== undefined) {
    p.push(`${f}.metricsPort: a worker serves /metrics on its port`);
  }
  if (svc.role === 'worker') {
    if (!svc.lanes?.length) p.push(`${f}.lanes: a worker consumes at least one lane`);
    for (const lane of svc.lanes ?? []) {
      if (!isLane(lane)) p.push(`${f}.lanes: unknown lane "${lane}"; lanes are ${LANES.join(', ')}`);
    }
    if (!('queueDepthPerReplica' in svc.autoscaling)) p.push(`${f}.autoscaling: a worker scales on queueDepthPerReplica`);
  } else {
    if (svc.lanes) p.push(`${f}.lanes: only workers consume lanes`);
    if (!('cpuPercent' in svc.autoscaling)) p.push(`${f}.autoscaling: the absorber scales on cpuPercent`);
  }
  const a = svc.autoscaling;
  const minFloor = svc.role === 'absorber' ? 1 : 0;
  if (!Number.isInteger(a.min) || a.min < minFloor) p.push(`${f}.autoscaling.min: must be an integer >= ${minFloor}`);
  if (!Number.isInteger(a.max) || a.max < Math.max(a.min, 1)) p.push(`${f}.autoscaling.max: must be >= min and >= 1`);
  if ('cpuPercent' in a && (a.cpuPercent < 1 || a.cpuPercent > 100)) p.push(`${f}.autoscaling.cpuPercent: must be 1-100`);
  if ('queueDepthPerReplica' in a && a.queueDepthPerReplica < 1) p.push(`${f}.autoscaling.queueDepthPerReplica: must be >= 1`);
  for (const kind of ['cpuMillis', 'memoryMiB'] as const) {
    const req = svc.resources.requests[kind];
    const lim = svc.resources.limits[kind];
    if (!(req > 0)) p.push(`${f}.resources.requests.${kind}: must be > 0`);
    if (!(lim >= req)) p.push(`${f}.resources.limits.${kind}: must be >= requests.${kind}`);
  }
  svc.secrets.forEach((name, j) => {
    if (!def.secrets[name]) p.push(`${f}.secrets[${j}]: "${name}" is not declared in secrets`);
  });
  svc.dependsOn.forEach((dep, j) => {
    const known = DEPENDENCIES.includes(dep) || def.services.some((s) => s.name === dep);
    if (!known || dep === svc.name) p.push(`${f}.dependsOn[${j}]: "${dep}" is not another service, redis, postgres or ${MIGRATE_STEP.name}`);
  });
  checkEnv(p, `${f}.env`, svc.env ?? {}, Object.keys(def.secrets));
  if (svc.secrets.includes('DATABASE_URL')) {
    if (!Number.isInteger(svc.dbPoolMax) || svc.dbPoolMax! < 1 || svc.dbPoolMax! > 1000) p.push(`${f}.dbPoolMax: 1-1000 connections per replica (DB_POOL_MAX), required with DATABASE_URL`);
  } else if (svc.dbPoolMax !== undefined) {
    p.push(`${f}.dbPoolMax: set without DATABASE_URL in its secrets; it opens no connections`);
  }
}

/** Each service's env on each target must pass the apps' own validation (libs/config). */
function checkAppConfig(p: string[], def: SpillwayDefinition): void {
  def.services.forEach((svc, i) => {
    for (const [name, t] of Object.entries(def.targets)) {
      const target = { ...t, name };
      // A worker whose every lane runs on Lambda there has no pod env; its functions are checked below.
      if (!runsPods(svc, target)) continue;
      try {
        // Secrets the store holds count as set (their values are not known here); a whsec_ of 32
        // base64 bytes fits every provider and passes the strength checks.
        const webhookSecrets = Object.fromEntries(webhookSecretNames(def).filter((n) => svc.secrets.includes(n)).map((n) => [n, HELD_WHSEC]));
        loadConfig({ ...plainEnv(def, svc, target), ...webhookSecrets });
        // The image runs with NODE_ENV=production, where the absorber refuses to start without keys
        // (unless INGEST_AUTH=off): a key held by the secret store counts, its value is not known here.
        if (svc.role === 'absorber') {
          const held = svc.secrets.includes('INGEST_API_KEYS') ? { INGEST_API_KEYS: 'held-by-the-secret-store-value-not-known-here' } : {};
          const problem = ingestAuthProblem(loadConfig({ ...plainEnv(def, svc, target), ...webhookSecrets, ...held, NODE_ENV: 'production' }));
          if (problem) p.push(`services[${i}] (${svc.name}) on ${name}: ${problem} (list INGEST_API_KEYS in its secrets)`);
        }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const problem of err.problems) p.push(`services[${i}] (${svc.name}) on ${name}: ${problem}`);
      }
    }
  });
  for (const eks of targetsOfKind(def, 'eks').map((t) => targetDefinition(def, t.name, 'eks'))) {
    for (const { svc, lane } of lambdaLanes(eks)) {
      const i = def.services.indexOf(svc);
      try {
        // The function's own loader; the proxy's host and the bucket are known only once deployed: stand-ins of the same shape.
        loadLambdaConfig(lambdaEnv(eks, svc, lane, { databaseUrl: 'postgres://app@proxy.example:5432/db?sslmode=require', payloadBucket: 'payload-bucket' }));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const problem of err.problems) p.push(`services[${i}] (${svc.name}) lane ${lane} on Lambda${eks.target.name === 'eks' ? '' : ` (${eks.target.name})`}: ${problem}`);
      }
    }
  }
}

function alertProblems(a: SpillwayDefinition['alerts']): string[] {
  const p: string[] = [];
  if (!a) return ['alerts: required (thresholds for the Prometheus rules and CloudWatch alarms)'];
  for (const lane of LANES) {
    const s = a.oldestEventSeconds?.[lane];
    if (!(Number.isFinite(s) && s > 0)) p.push(`alerts.oldestEventSeconds.${lane}: must be a number of seconds > 0`);
  }
  if (!(Number.isInteger(a.deadLetters) && a.deadLetters >= 0)) p.push('alerts.deadLetters: must be a whole number >= 0');
  if (!(a.serverErrorRatio > 0 && a.serverErrorRatio < 1)) p.push('alerts.serverErrorRatio: must be between 0 and 1 (0.01 = 1%)');
  if (!(a.diskFreeRatio > 0 && a.diskFreeRatio < 1)) p.push('alerts.diskFreeRatio: must be between 0 and 1 (0.15 = 15%)');
  if (!(Number.isInteger(a.forMinutes) && a.forMinutes >= 1)) p.push('alerts.forMinutes: must be a whole number of minutes >= 1');
  if (!(a.responseP99Seconds > 0)) p.push('alerts.responseP99Seconds: must be a number of seconds > 0');
  if (!a.database) return [...p, 'alerts.database: required (cpuPercent, connections, replicaLagSeconds)'];
  if (!(a.database.cpuPercent > 0 && a.database.cpuPercent <= 100)) p.push('alerts.database.cpuPercent: must be between 0 and 100');
  if (!(Number.isInteger(a.database.connections) && a.database.connections > 0)) p.push('alerts.database.connections: must be a whole number > 0');
  if (!(a.database.replicaLagSeconds > 0)) p.push('alerts.database.replicaLagSeconds: must be a number of seconds > 0');
  return p;
}

export function definitionProblems(def: SpillwayDefinition): string[] {
  const p: string[] = [];
  if (!DNS_LABEL.test(def.name)) p.push(`name: "${def.name}" must be a DNS label`);
  if (!Number.isInteger(def.maxAttempts) || def.maxAttempts < 1 || def.maxAttempts > 100) {
    p.push('maxAttempts: must be 1-100 (it is also the SQS maxReceiveCount)');
  }
  if (def.leaseMs % 1000 !== 0) p.push('leaseMs: whole seconds (it becomes the SQS visibility timeout)');
  for (const [pattern, lane] of Object.entries(def.routes)) {
    if (!/^[A-Za-z0-9_.:-]+(\.\*)?$/.test(pattern)) p.push(`routes.${pattern}: an event type, or a prefix ending in .*`);
    if (!isLane(lane)) p.push(`routes.${pattern}: unknown lane "${lane}"; lanes are ${LANES.join(', ')}`);
  }
  for (const [name, ref] of Object.entries(def.secrets)) {
    if (!ENV_NAME.test(name)) p.push(`secrets.${name}: not a valid env name`);
    if (!ref.remoteKey || !ref.property) p.push(`secrets.${name}: remoteKey and property are both required`);
  }
  checkEnv(p, 'env', def.env, Object.keys(def.secrets));
  if (!def.services.length) p.push('services: at least one');
  const names = def.services.map((s) => s.name);
  names.forEach((n, i) => names.indexOf(n) !== i && p.push(`services[${i}].name: "${n}" is used twice`));
  if (def.services.filter((s) => s.role === 'absorber').length !== 1) p.push('services: exactly one absorber');
  def.services.forEach((svc, i) => checkService(p, def, svc, i));
  for (const lane of LANES) {
    if (!def.services.some((s) => s.lanes?.includes(lane))) p.push(`services: no worker consumes lane "${lane}"`);
  }
  for (const name of MIGRATE_STEP.secrets) {
    if (!def.secrets[name]) p.push(`secrets.${name}: required by the ${MIGRATE_STEP.name} step (npm run migrate)`);
  }
  if (def.services.some((s) => s.name === MIGRATE_STEP.name)) p.push(`services: "${MIGRATE_STEP.name}" is the migration step's name`);
  p.push(...alertProblems(def.alerts));
  p.push(...loadPlanProblems(def.load));
  if (!def.secrets[def.dependencies.postgres.passwordSecret]) {
    p.push(`dependencies.postgres.passwordSecret: "${def.dependencies.postgres.passwordSecret}" is not declared in secrets`);
  }
  p.push(...targetProblems(def));
  p.push(...webhookProblems(def));
  p.push(...lambdaProblems(def));
  p.push(...movePathProblems(def));
  if (!p.length) checkAppConfig(p, def);
  if (!p.length) p.push(...capacityProblems(def));
  return p;
}

/** Throws one error listing every problem, so a user fixes them in one pass. */
export function validateDefinition(def: SpillwayDefinition): SpillwayDefinition {
  const problems = definitionProblems(def);
  if (problems.length) throw new DefinitionError(problems);
  return def;
}
