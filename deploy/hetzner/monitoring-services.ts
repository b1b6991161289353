// The compose `monitoring` profile: Prometheus, Grafana and the Redis, Postgres and node exporters,
// sized from `targets.hetzner.monitoring`. Their configuration is rendered beside the other outputs
// (deploy/monitoring/rendered/) and mounted read-only; only data lives in volumes.
import { MonitoringService, Resources, ComposeDefinition } from '../model/definition';
import { GRAFANA_PATHS, GRAFANA_PORT } from '../monitoring/grafana';
import { EXPORTERS, PROMETHEUS_CONFIG_DIR, PROMETHEUS_PORT } from '../monitoring/prometheus-config';
import { secretFile } from './secret-files';

type Obj = Record<string, unknown>;

/** Rendered folders, relative to docker-compose.yml at the repository root. */
export const MONITORING_FILES = {
  dir: 'deploy/monitoring/rendered',
  prometheusConfig: 'deploy/monitoring/rendered/prometheus.yml',
  grafanaProvisioning: 'deploy/monitoring/rendered/grafana/provisioning',
  dashboards: 'deploy/monitoring/rendered/dashboards',
} as const;

export const MONITORING_PROFILE = 'monitoring';

const CHECK_TIMING = { interval: '10s', timeout: '3s', retries: 10 };
const httpProbe = (url: string) => ({ test: ['CMD', 'wget', '-q', '-O', '/dev/null', url], ...CHECK_TIMING, start_period: '30s' });
const hardening = (readOnly: boolean) => ({ ...(readOnly ? { read_only: true } : {}), cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });

export function monitoringServices(def: ComposeDefinition, resources: (r: Resources) => Obj): Obj {
  const het = def.target;
  const m = het.monitoring;
  const c = m.containers;
  const base = (name: MonitoringService): Obj => {
    const svc: Obj = {
      image: c[name].image,
      profiles: [MONITORING_PROFILE],
      deploy: { resources: resources(c[name].resources) },
      restart: 'unless-stopped',
    };
    if (c[name].secrets.length) Object.assign(svc, { env_file: [secretFile(def, name)], 'x-secrets': [...c[name].secrets].sort() });
    return svc;
  };
  return {
    prometheus: {
      ...base('prometheus'),
      command: [
        `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${m.retentionDays}d`,
      ],
      // The folder, not single files: an edited file reaches the container (SIGHUP reloads it).
      volumes: [`./${MONITORING_FILES.dir}:${PROMETHEUS_CONFIG_DIR}:ro`, 'prometheus-data:/prometheus'],
      ports: [`${het.publishAddress}:${m.ports.prometheus}:${PROMETHEUS_PORT}`],
      healthcheck: httpProbe(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`),
      ...hardening(true),
    },
    grafana: {
      ...base('grafana'),
      environment: {
        GF_SECURITY_ADMIN_USER: 'admin',
        GF_USERS_ALLOW_SIGN_UP: 'false',
        GF_AUTH_ANONYMOUS_ENABLED: 'false',
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
        GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
        GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: `${GRAFANA_PATHS.dashboards}/spillway.json`,
      },
      volumes: [
        `./${MONITORING_FILES.grafanaProvisioning}:${GRAFANA_PATHS.provisioning}:ro`,
        `./${MONITORING_FILES.dashboards}:${GRAFANA_PATHS.dashboards}:ro`,
        'grafana-data:/var/lib/grafana',
      ],
      ports: [`${het.publishAddress}:${m.ports.grafana}:${GRAFANA_PORT}`],
      depends_on: { prometheus: { condition: 'service_healthy' } },
      healthcheck: httpProbe(`http://127.0.0.1:${GRAFANA_PORT}/api/health`),
      // Not read-only: Grafana is not run in CI (no Debian package to stand in), so its writable
      // paths beyond /var/lib/grafana are not proven; it still runs without capabilities.
      ...hardening(false),
    },
    'redis-exporter': {
      ...base('redis-exporter'),
      // Its own ACL user (redis-acl.ts); REDIS_PASSWORD comes from its env file.
      environment: { REDIS_ADDR: 'redis://redis:6379', REDIS_USER: 'exporter', REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `:${EXPORTERS['redis-exporter'].port}` },
      depends_on: { redis: { condition: 'service_healthy' } },
      ...hardening(true),
    },
    'postgres-exporter': {
      // DATA_SOURCE_NAME (with the password) comes from its own env file.
      ...base('postgres-exporter'),
      command: [`--web.listen-address=:${EXPORTERS['postgres-exporter'].port}`],
      depends_on: { postgres: { condition: 'service_healthy' } },
      ...hardening(true),
    },
    'node-exporter': {
      ...base('node-exporter'),
      // The host's filesystems, read-only, for the disk alert (no rslave: new mounts need a restart).
      command: ['--path.rootfs=/host', `--web.listen-address=:${EXPORTERS['node-exporter'].port}`],
      volumes: ['/:/host:ro'],
      ...hardening(true),
    },
  };
}
