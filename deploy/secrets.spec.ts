import { MIGRATE_STEP } from './model/definition';
// No secret value may reach a rendered file, and on the box each container receives exactly the
// secrets the definition lists for it (read back from the rendered docker-compose.yml).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { boxSecrets, secretExample, secretsByService, envFileNames, envFileValues } from './hetzner/secret-files';
import { hetznerSecretNames, renderAll, ROOT } from './outputs';
import { spillway } from './spillway';
import { composeDefinition, targetOf } from './model/targets';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const services = Object.keys(secretsByService(composeDefinition(spillway)));
const exampleText = (service: string) => readFileSync(join(ROOT, secretExample(composeDefinition(spillway), service)), 'utf8');
const values = [...new Set(services.flatMap((s) => Object.values(envFileValues(exampleText(s)))))];
const file = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { version: '1.1' }) as Any;

/** What a container of the rendered file gets as secrets: the names in the env files it loads. */
function secretsReceived(service: string): string[] {
  const files: string[] = file.services[service].env_file ?? [];
  return files.flatMap((f) => envFileNames(readFileSync(join(ROOT, `${f}.example`), 'utf8'))).sort();
}

describe('secrets on the box', () => {
  it.each(Object.keys(file.services))('%s receives exactly the secrets the definition lists for it', (service) => {
    const svc = spillway.services.find((s) => s.name === service);
    const fromDefinition: Record<string, string[]> = {
      postgres: [spillway.dependencies.postgres.passwordSecret],
      backup: targetOf(spillway, 'hetzner', 'compose').backup.secrets,
      [MIGRATE_STEP.name]: [...MIGRATE_STEP.secrets],
      // The superuser's password and one per role (database-roles.ts); one per Redis user (redis-acl.ts).
      'db-roles': ['PGPASSWORD', 'MIGRATE_DB_PASSWORD', 'WORKER_DB_PASSWORD', 'BACKUP_DB_PASSWORD', 'EXPORTER_DB_PASSWORD'],
      redis: ['REDIS_ABSORBER_PASSWORD', 'REDIS_WORKER_PASSWORD', 'REDIS_EXPORTER_PASSWORD'],
      ...Object.fromEntries(Object.entries(targetOf(spillway, 'hetzner', 'compose').monitoring.containers).map(([name, c]) => [name, c.secrets])),
    };
    // An app's box secrets: its own, REDIS_URL with its Redis user, and no DATABASE_URL for the absorber.
    const listed = [...(svc ? boxSecrets(composeDefinition(spillway), svc) : (fromDefinition[service] ?? []))].sort();
    expect(secretsReceived(service)).toEqual(listed);
    // And none through plain environment either.
    for (const name of Object.keys(spillway.secrets)) expect(file.services[service].environment?.[name]).toBeUndefined();
  });

  it('the worker never gets the ingest keys, postgres never the database URL, the absorber no database login, caddy nothing', () => {
    expect(secretsReceived('worker')).not.toContain('INGEST_API_KEYS');
    expect(secretsReceived('postgres')).not.toContain('DATABASE_URL');
    expect(secretsReceived('absorber')).not.toContain('DATABASE_URL');
    expect(file.services.caddy.env_file).toBeUndefined();
  });

  it('the monitoring profile: Grafana gets only its admin password, each data exporter only its login, the others nothing', () => {
    expect(secretsReceived('grafana')).toEqual(['GF_SECURITY_ADMIN_PASSWORD']);
    expect(secretsReceived('postgres-exporter')).toEqual(['DATA_SOURCE_NAME']);
    expect(secretsReceived('redis-exporter')).toEqual(['REDIS_PASSWORD']);
    for (const name of ['prometheus', 'node-exporter']) expect(file.services[name].env_file).toBeUndefined();
  });

  it('the examples name every secret the box reads, with placeholder values', () => {
    expect([...new Set(services.flatMap((s) => envFileNames(exampleText(s))))].sort()).toEqual(hetznerSecretNames(composeDefinition(spillway)));
    expect(values.every((v) => v.length >= 8)).toBe(true);
  });

  it('a secret added to one service reaches only that service', () => {
    const def = structuredClone(spillway);
    def.secrets.WEBHOOK_TOKEN = { remoteKey: 'spillway/webhooks', property: 'token' };
    def.services.find((s) => s.name === 'worker')!.secrets.push('WEBHOOK_TOKEN');
    expect(secretsByService(composeDefinition(def)).worker).toContain('WEBHOOK_TOKEN');
    expect(secretsByService(composeDefinition(def)).absorber).not.toContain('WEBHOOK_TOKEN');
    // The worker's example must name it before anything renders.
    expect(() => renderAll(def)).toThrow('deploy/hetzner/secrets/worker.env.example: WEBHOOK_TOKEN is missing or empty');
  });
});

describe('secret values', () => {
  it.each(Object.entries(renderAll(spillway)))('%s contains no secret value from the example env files', (_path, content) => {
    for (const value of values) expect(content).not.toContain(value);
  });

  it('would notice a leak', () => {
    const leaky = structuredClone(spillway);
    leaky.env.FEATURE_TOKEN = values[0];
    const rendered = Object.values(renderAll(leaky)).join('\n');
    expect(rendered).toContain(values[0]);
  });
});
