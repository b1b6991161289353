// Metric names in the dashboards' and rules' queries, and in what an exporter serves: the
// integration test test/monitoring-metrics.test.ts checks the first against the second, with the
// real exporters at the box's versions and the apps' real /metrics.
import { dashboardExprs } from './grafana';

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

/**
 * Every series name a Prometheus scrape of this text would store: the names of its samples, and of
 * each declared family, with the `_bucket`/`_sum`/`_count` series of a histogram and the
 * `_sum`/`_count` of a summary (a family declared with no sample yet, such as a labelled counter
 * nothing has counted, is served once it counts).
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      const suffixes = kind === 'histogram' ? ['_bucket', '_sum', '_count'] : kind === 'summary' ? ['', '_sum', '_count'] : [''];
      for (const s of suffixes) names.add(`${name}${s}`);
    } else if (line && !line.startsWith('#')) {
      names.add(/^[^\s{]+/.exec(line)![0]);
    }
  }
  return names;
}
