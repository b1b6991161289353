import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spillway } from '../spillway';
import { composeObject } from './compose';
import { composeSchemaProblems } from './schema';
import { composeDefinition, targetOf } from '../model/targets';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Parsed as YAML 1.1, the way docker-compose 1.29 (PyYAML) reads it.
const file = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { version: '1.1' }) as Any;

describe('rendered docker-compose.yml', () => {
  it('matches the compose-spec schema', () => {
    expect(composeSchemaProblems(file)).toEqual([]);
  });

  it('the schema check can fail', () => {
    const broken = structuredClone(file);
    broken.services.worker.depends_on.migrate.condition = 'healthy';
    broken.services.worker.stop_grace_period = 'thirty seconds';
    expect(composeSchemaProblems(broken)).toEqual(
      expect.arrayContaining(['/services/worker/stop_grace_period: must match format "duration"']),
    );
    expect(composeSchemaProblems(broken).some((p) => p.startsWith('/services/worker/depends_on'))).toBe(true);
  });

  it('reads back as the object it was rendered from (no YAML 1.1 surprises like yes -> true)', () => {
    expect(file).toEqual(composeObject(composeDefinition(spillway)));
    expect(file.services.redis.command).toEqual([
      'sh', '/etc/spillway/redis-acl.sh', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory', '640mb', '--maxmemory-policy', 'noeviction',
    ]);
  });

  it('runs the existing image: commands, worker without migrations, node fetch healthchecks', () => {
    const s = file.services;
    expect(s.absorber.command).toEqual(['node', 'dist/apps/absorber/src/main.js']);
    expect(s.worker.command).toEqual(['node', 'dist/apps/worker/src/main.js']);
    expect(s.worker.environment.RUN_MIGRATIONS).toBeUndefined();
    expect(s.absorber.build).toBe('.');
    expect(s.worker.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(s.worker.healthcheck.test[3]).toContain('http://127.0.0.1:8081/health/ready');
    expect([s.redis.image, s.postgres.image]).toEqual(['redis:7-bookworm', 'postgres:16-bookworm']);
  });

  it('starts in order and keeps data', () => {
    const s = file.services;
    expect(s.worker.depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    // The absorber waits for the broker only: it answers 202 while Postgres is down or migrating.
    expect(s.absorber.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(s.redis.volumes).toEqual(['redis-data:/data', './deploy/hetzner/rendered/redis-acl.sh:/etc/spillway/redis-acl.sh:ro']);
    expect(s.postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    for (const name of ['redis', 'postgres', 'absorber', 'worker']) expect(s[name].restart).toBe('unless-stopped');
  });

  it('migrates once, as its own step, after Postgres is healthy', () => {
    const m = file.services.migrate;
    expect(m.command).toEqual(['node', 'dist/libs/db/src/migrate.js']);
    expect(m.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, 'db-roles': { condition: 'service_completed_successfully' } });
    expect(m.restart).toBe('no');
    expect(m.env_file).toEqual(['deploy/hetzner/secrets/migrate.env']);
    expect(m['x-secrets']).toEqual(['DATABASE_URL']);
    expect(m.ports).toBeUndefined();
    expect(m).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
  });

  it('sizes containers from the box (not the EKS pod limits), carries kompose labels, keeps TLS behind a profile', () => {
    const s = file.services;
    expect(s.absorber.deploy.resources).toEqual({
      limits: { cpus: '1.5', memory: '640M' },
      reservations: { memory: '256M' },
    });
    const limitMiB = (name: string) => parseInt(s[name].deploy.resources.limits.memory, 10) * (s[name].deploy.replicas ?? 1);
    // Every container, the monitoring profile's included: all of them run on the one box.
    const all = Object.keys(s).filter((name) => !['caddy', 'migrate', 'db-roles'].includes(name));
    expect(all).toEqual(expect.arrayContaining(['absorber', 'worker', 'redis', 'postgres', 'backup', 'prometheus', 'grafana', 'node-exporter']));
    const total = all.map(limitMiB).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(targetOf(spillway, 'hetzner', 'compose').box.memoryMiB - 512);
    for (const name of all) {
      expect(Number(s[name].deploy.resources.limits.cpus)).toBeLessThanOrEqual(targetOf(spillway, 'hetzner', 'compose').box.vcpus);
    }
    // Redis's own bound sits under its container limit: a full Redis refuses writes, it is not OOM-killed.
    expect(640).toBeLessThan(limitMiB('redis'));
    expect(s.absorber.labels).toEqual({
      'kompose.hpa.cpu': '70',
      'kompose.hpa.replicas.max': '50',
      'kompose.hpa.replicas.min': '5',
      'kompose.service.type': 'loadbalancer',
    });
    expect(s.caddy.profiles).toEqual(['tls']);
  });

  it('publishes the API port only: /metrics stays on METRICS_PORT inside the box', () => {
    expect(file.services.absorber.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(file.services.absorber.environment.METRICS_PORT).toBe('9464');
    expect(file.services.worker.ports).toBeUndefined();
  });

  it("takes secrets only from each service's own env file", () => {
    for (const name of ['absorber', 'worker', 'postgres', 'migrate']) expect(file.services[name].env_file).toEqual([`deploy/hetzner/secrets/${name}.env`]);
    expect(file.services.absorber['x-secrets']).toEqual(['INGEST_API_KEYS', 'REDIS_URL', 'WEBHOOK_SECRET_GITHUB']);
    expect(file.services.absorber.environment.DATABASE_URL).toBeUndefined();
  });

  it('logins: no DATABASE_URL for the absorber (BullMQ), REDIS_URL only from env files, the superuser password only in postgres and db-roles', () => {
    const s = file.services;
    for (const name of Object.keys(s)) expect([name, s[name].environment?.REDIS_URL, s[name].environment?.DATABASE_URL]).toEqual([name, undefined, undefined]);
    expect(s.absorber['x-secrets']).not.toContain('DATABASE_URL');
    expect(s.worker['x-secrets']).toEqual(['DATABASE_URL', 'REDIS_URL']);
    const holders = Object.keys(s).filter((n) => (s[n]['x-secrets'] ?? []).some((x: string) => ['POSTGRES_PASSWORD', 'PGPASSWORD'].includes(x)));
    expect(holders.sort()).toEqual(['db-roles', 'postgres']);
    expect(s['db-roles']).toMatchObject({
      command: ['psql', '-X', '-q', '-h', 'postgres', '-U', 'spillway', '-d', 'spillway', '-f', '/etc/spillway/db-roles.sql'],
      volumes: ['./deploy/hetzner/rendered/db-roles.sql:/etc/spillway/db-roles.sql:ro'],
      restart: 'no',
    });
    expect(s.redis['x-secrets']).toEqual(['REDIS_ABSORBER_PASSWORD', 'REDIS_EXPORTER_PASSWORD', 'REDIS_WORKER_PASSWORD']);
    expect(s.redis.healthcheck.test).toEqual(['CMD-SHELL', 'REDISCLI_AUTH="$$REDIS_EXPORTER_PASSWORD" redis-cli --user exporter ping | grep -q PONG']);
    expect(s['redis-exporter'].environment.REDIS_USER).toBe('exporter');
  });

  it('networks: Redis and Postgres on internal networks of their own; Caddy, Grafana, Prometheus and node-exporter reach neither; each exporter only its own', () => {
    const s = file.services;
    expect(file.networks).toEqual({ edge: {}, redis: { internal: true }, postgres: { internal: true }, metrics: {}, egress: {} });
    const on = (net: string) => Object.keys(s).filter((n) => s[n].networks.includes(net)).sort();
    expect(on('redis')).toEqual(['absorber', 'redis', 'redis-exporter', 'worker']);
    expect(on('postgres')).toEqual(['backup', 'db-roles', 'migrate', 'postgres', 'postgres-exporter', 'worker']);
    expect(on('edge')).toEqual(['absorber', 'caddy']);
    for (const name of ['caddy', 'grafana', 'prometheus', 'node-exporter']) expect([name, s[name].networks.filter((n: string) => ['redis', 'postgres'].includes(n))]).toEqual([name, []]);
    // Prometheus scrapes every target over `metrics`.
    for (const name of ['prometheus', 'absorber', 'worker', 'redis-exporter', 'postgres-exporter', 'node-exporter']) expect(s[name].networks).toContain('metrics');
  });

  it('publishes the plaintext port on loopback only: the internet reaches the absorber through Caddy', () => {
    expect(file.services.absorber.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(file.services.caddy.ports).toEqual(['80:80', '443:443']);
    expect(file.services.caddy.command).toContain('absorber:8080');
    for (const name of ['worker', 'redis', 'postgres']) expect(file.services[name].ports).toBeUndefined();
  });
});

describe('rendered app services', () => {
  it('run with a read-only root fs, no capabilities and no privilege escalation', () => {
    const services = composeObject(composeDefinition(spillway)).services as Record<string, Record<string, unknown>>;
    for (const name of ['absorber', 'worker']) {
      expect(services[name]).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
    }
  });
});

describe('the monitoring profile in docker-compose.yml', () => {
  const s = file.services;
  const monitoring = ['prometheus', 'grafana', 'redis-exporter', 'postgres-exporter', 'node-exporter'];

  it('starts only with --profile monitoring', () => {
    for (const name of monitoring) expect([name, s[name].profiles]).toEqual([name, ['monitoring']]);
  });

  it('mounts the rendered configuration read-only and keeps only data in volumes', () => {
    expect(s.prometheus.volumes).toEqual(['./deploy/monitoring/rendered:/etc/prometheus:ro', 'prometheus-data:/prometheus']);
    expect(s.prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(s.grafana.volumes).toEqual([
      './deploy/monitoring/rendered/grafana/provisioning:/etc/grafana/provisioning:ro',
      './deploy/monitoring/rendered/dashboards:/etc/grafana/dashboards:ro',
      'grafana-data:/var/lib/grafana',
    ]);
    expect(s['node-exporter'].volumes).toEqual(['/:/host:ro']);
    expect(file.volumes).toMatchObject({ 'prometheus-data': {}, 'grafana-data': {} });
  });

  it('publishes the two UIs on loopback only, the exporters not at all', () => {
    expect(s.prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(s.grafana.ports).toEqual(['127.0.0.1:3000:3000']);
    for (const name of ['redis-exporter', 'postgres-exporter', 'node-exporter']) expect(s[name].ports).toBeUndefined();
  });

  it('runs without capabilities; Prometheus and the exporters on a read-only root fs', () => {
    for (const name of monitoring) expect(s[name]).toMatchObject({ cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
    for (const name of monitoring.filter((n) => n !== 'grafana')) expect(s[name].read_only).toBe(true);
    expect(s.grafana.environment).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'false', GF_USERS_ALLOW_SIGN_UP: 'false' });
  });
});
