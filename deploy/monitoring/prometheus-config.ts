// prometheus.yml for the box's `monitoring` profile, rendered from the definition: what to scrape
// (every app's metrics port, the exporters, Prometheus itself) and the rules file beside it.
import { stringify } from 'yaml';
import { ComposeDefinition } from '../model/definition';
import { SCRAPE_JOBS } from './prometheus-rules';

/** Where the compose file mounts deploy/monitoring/rendered/ (read-only) in the Prometheus container. */
export const PROMETHEUS_CONFIG_DIR = '/etc/prometheus';
export const RULES_FILE = 'alerts.rules.yml';
/** Prometheus listens on its default port inside its container; the host port is the definition's. */
export const PROMETHEUS_PORT = 9090;

/** Exporter containers and the port each one serves /metrics on (their images' defaults). */
export const EXPORTERS = {
  'redis-exporter': { job: 'redis', port: 9121 },
  'postgres-exporter': { job: 'postgres', port: 9187 },
  'node-exporter': { job: SCRAPE_JOBS.node, port: 9100 },
} as const;

/** The port an app serves /metrics on: the absorber's own METRICS_PORT, a worker's health port. */
export function metricsPort(svc: ComposeDefinition['services'][number]): number {
  return svc.metricsPort ?? svc.port;
}

/**
 * One scrape target per app service, by its compose name. Static, not DNS discovery: a stopped
 * container then shows as `up == 0` (SpillwayAppDown) instead of vanishing from the targets. A
 * service with several replicas is found through Docker's DNS (every replica's address), where a
 * static name would reach one replica per scrape.
 */
function appTargets(def: ComposeDefinition): Record<string, unknown>[] {
  const byName = (svc: ComposeDefinition['services'][number]) => ({ targets: [`${svc.name}:${metricsPort(svc)}`], labels: { service: svc.name } });
  const replicas = (s: ComposeDefinition['services'][number]) => def.target.services[s.name].replicas;
  const single = def.services.filter((s) => replicas(s) === 1);
  const scaled = def.services.filter((s) => replicas(s) > 1);
  const job: Record<string, unknown> = { job_name: SCRAPE_JOBS.apps, metrics_path: '/metrics', static_configs: single.map(byName) };
  if (scaled.length) {
    job.dns_sd_configs = scaled.map((s) => ({ names: [s.name], type: 'A', port: metricsPort(s) }));
    job.relabel_configs = [{ source_labels: ['__meta_dns_name'], regex: '(.+)', target_label: 'service' }];
  }
  return [job];
}

export function prometheusConfig(def: ComposeDefinition): Record<string, unknown> {
  const m = def.target.monitoring;
  const every = `${m.scrapeSeconds}s`;
  return {
    global: { scrape_interval: every, evaluation_interval: every, external_labels: { box: def.target.host } },
    // Relative to this file: the same in the container and for `promtool check config` in the repo.
    rule_files: [RULES_FILE],
    scrape_configs: [
      ...appTargets(def),
      ...Object.entries(EXPORTERS).map(([service, e]) => ({ job_name: e.job, static_configs: [{ targets: [`${service}:${e.port}`], labels: { service } }] })),
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
    ],
  };
}

export function renderPrometheusConfig(def: ComposeDefinition): string {
  const header = '# Rendered from deploy/spillway.ts (targets.hetzner.monitoring) by `npm run synth`; do not edit.\n';
  return header + stringify(prometheusConfig(def), { lineWidth: 0 });
}
