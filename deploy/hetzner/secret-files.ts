// Which secrets each container on the box receives, and from which file. One env file per service,
// holding exactly the secrets the definition lists for it: the worker never sees the ingest keys,
// Postgres never sees the application's DATABASE_URL.
import { MIGRATE_STEP, MONITORING_SERVICES, ServiceSpec, ComposeDefinition } from '../model/definition';
import { databaseRoles, DB_ROLES_SERVICE } from './database-roles';
import { redisUsers } from './redis-acl';

/**
 * An app service's secrets on the box: the definition's, with REDIS_URL (it carries the service's
 * Redis user and password) for a service that has a Redis user, and without DATABASE_URL for the
 * absorber on BullMQ (it keeps nothing in Postgres there; on SQS its idempotency keys are).
 */
export function boxSecrets(def: ComposeDefinition, svc: ServiceSpec): string[] {
  const bullmq = def.target.broker.kind === 'bullmq';
  const names = new Set(svc.secrets);
  if (bullmq && svc.role === 'absorber') names.delete('DATABASE_URL');
  if (bullmq && redisUsers(def).some((u) => u.service === svc.name)) names.add('REDIS_URL');
  return [...names].sort();
}

/** Service name -> the secret names it reads, sorted; services that read none are absent. */
export function secretsByService(def: ComposeDefinition): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const svc of def.services) if (boxSecrets(def, svc).length) out[svc.name] = boxSecrets(def, svc);
  out.postgres = [def.dependencies.postgres.passwordSecret];
  out[DB_ROLES_SERVICE] = ['PGPASSWORD', ...databaseRoles(def).map((r) => r.passwordEnv)].sort();
  out.redis = redisUsers(def).map((u) => u.passwordEnv).sort();
  out[MIGRATE_STEP.name] = [...MIGRATE_STEP.secrets];
  out.backup = [...def.target.backup.secrets].sort();
  for (const name of MONITORING_SERVICES) {
    const secrets = def.target.monitoring.containers[name].secrets;
    if (secrets.length) out[name] = [...secrets].sort();
  }
  return out;
}

/** The git-ignored env file of one service, relative to the repository root. */
export function secretFile(def: ComposeDefinition, service: string): string {
  return `${def.target.secretsDir}/${service}.env`;
}

/** Its committed example, with placeholder values. */
export function secretExample(def: ComposeDefinition, service: string): string {
  return `${secretFile(def, service)}.example`;
}

/** Names a KEY=value file defines (comments and blank lines skipped). */
export function envFileNames(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && line.includes('='))
    .map((line) => line.slice(0, line.indexOf('=')).trim());
}

/** Names the file defines with a non-empty value. */
export function envFileValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#') || !line.includes('=')) continue;
    const value = line.slice(line.indexOf('=') + 1).trim();
    if (value) out[line.slice(0, line.indexOf('=')).trim()] = value;
  }
  return out;
}

/**
 * Problems of one service's env file against the definition: a missing secret, or one it must not
 * hold (a secret of another service in the wrong file reaches the wrong container).
 */
export function secretFileProblems(def: ComposeDefinition, service: string, text: string, file: string): string[] {
  const want = secretsByService(def)[service] ?? [];
  const values = envFileValues(text);
  const names = envFileNames(text);
  const problems = want.filter((n) => !values[n]).map((n) => `${file}: ${n} is missing or empty`);
  for (const n of names.filter((n) => !want.includes(n))) problems.push(`${file}: ${n} is not a secret of ${service}; remove it`);
  return problems;
}
