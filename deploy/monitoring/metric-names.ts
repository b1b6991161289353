// Metric names the dashboards may use besides the apps' own (libs/health/src/metrics.ts): the
// exporters' series (seen in a running Prometheus by the compose e2e) and Prometheus's own.
import { dashboardExprs } from './grafana';

export const EXPORTER_METRICS = [
  'redis_memory_used_bytes',
  'redis_memory_max_bytes',
  'redis_connected_clients',
  'redis_commands_processed_total',
  'pg_up',
  'pg_stat_database_numbackends',
  'pg_settings_max_connections',
  'pg_database_size_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
  'node_cpu_seconds_total',
  'node_memory_MemAvailable_bytes',
] as const;

/** Made by Prometheus itself: scrape health and the alerts its rules fire. */
export const PROMETHEUS_METRICS = ['up', 'ALERTS'] as const;

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Metric names in one PromQL expression: identifiers that are not functions, labels or keywords. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, label_replace arguments)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\boffset\s+-?[0-9a-z]+/g, '') // offset durations
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  // A name followed by `(` is a function or an aggregation.
  const names = [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)].filter((m) => !m[2]).map((m) => m[1]);
  return [...new Set(names.filter((n) => !KEYWORDS.has(n.toLowerCase())))];
}

export function dashboardMetricNames(board: Record<string, unknown>): string[] {
  return [...new Set(dashboardExprs(board).flatMap(metricNames))];
}
