import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { MONITORING_FILES } from '../hetzner/monitoring-services';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { dashboardExprs } from './grafana';
import { exposedNames, metricNames } from './metric-names';
import { monitoringProgram } from './monitoring-bins';
import { majorVersionProblems } from './promql-major';
import { spillway } from '../spillway';
import { targetOf } from '../model/targets';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const dir = join(ROOT, MONITORING_FILES.dashboards);
const boards = readdirSync(dir).map((f) => ({ file: f, board: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Any }));

/**
 * promtool parses rule files, not bare expressions: each dashboard query becomes a recording rule,
 * so Prometheus's own parser reads it, of the box's major (scripts/monitoring-bins.sh): Grafana
 * queries only the box's Prometheus (the compose e2e runs no Grafana). Grafana's `$__rate_interval` is replaced the way Grafana
 * does before it sends the query (with a duration).
 */
function promtoolParse(exprs: string[]): { ok: boolean; out: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'spillway-dash-')), 'dashboards.rules.yml');
  const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '1m') }));
  writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
  try {
    return { ok: true, out: execFileSync(monitoringProgram('promtool'), ['check', 'rules', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('Grafana dashboards (rendered JSON files)', () => {
  it('are the two dashboards, valid JSON, with unique uids and panel ids', () => {
    expect(boards.map((b) => b.file).sort()).toEqual(['box.json', 'spillway.json']);
    expect(new Set(boards.map((b) => b.board.uid)).size).toBe(2);
    for (const { board } of boards) {
      const ids = (board.panels as Any[]).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(board.panels.filter((p: Any) => p.type !== 'row').every((p: Any) => p.targets.length > 0)).toBe(true);
    }
  });

  it('cover per-lane depth, age of oldest, ingest rate and latency, worker outcomes, dead letters and event-loop lag', () => {
    const titles = boards.flatMap((b) => (b.board.panels as Any[]).map((p) => p.title));
    for (const t of ['Queue depth per lane', 'Age of the oldest waiting event', 'Ingest requests per second', 'Ingest latency', 'Worker outcomes', 'Dead letters per lane', 'Event-loop lag', 'Disk free']) {
      expect(titles).toContain(t);
    }
  });

  it('every query parses in PromQL (promtool)', () => {
    const exprs = boards.flatMap((b) => dashboardExprs(b.board));
    const { ok, out } = promtoolParse(exprs);
    expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(ok).toBe(true);
  });

  // Parsing cannot see a query that reads nothing on 3.x: an `le="1"` matcher (3.x stores `le` and
  // `quantile` as floats, "1.0") or a range a scrape or two long (left-open in 3.x: one sample
  // fewer, and rate() needs two). Only the box's Prometheus runs these queries (the e2e has no
  // Grafana), but what it changed is what a dashboard author copying a 2.x query would get wrong.
  it("no query depends on what Prometheus 3.x changed (the box's major)", () => {
    const scrape = targetOf(spillway, 'hetzner', 'compose').monitoring.scrapeSeconds;
    const problems = boards.flatMap((b) => dashboardExprs(b.board).flatMap((expr) => majorVersionProblems(expr, scrape).map((p) => `${b.file}: ${p}`)));
    expect(problems).toEqual([]);
  });

  it('the parse check can fail: a query with an unclosed bracket is refused', () => {
    const { ok, out } = promtoolParse(['sum by (lane) (rate(spillway_events_processed_total[$__rate_interval])']);
    expect(ok).toBe(false);
    expect(out).toMatch(/unclosed|unexpected/i);
  });

  // That every metric a query names is served, by the apps or by the exporters at the box's
  // versions, is checked against the real programs: test/monitoring-metrics.test.ts.

  it('the provisioning points Grafana at the Prometheus service and at the mounted dashboards folder', () => {
    const ds = parse(readFileSync(join(ROOT, OUTPUT_PATHS.grafanaDatasources), 'utf8')) as Any;
    expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
    for (const { board } of boards) {
      for (const p of (board.panels as Any[]).filter((x) => x.type !== 'row')) expect(p.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
    }
    const provider = parse(readFileSync(join(ROOT, OUTPUT_PATHS.grafanaDashboards), 'utf8')) as Any;
    expect(provider.providers[0].options.path).toBe('/etc/grafana/dashboards');
  });
});

describe('metricNames (what the name check reads from a query)', () => {
  it('skips functions, aggregations, label lists, matchers, ranges and offsets', () => {
    const expr = 'sum by (le) (rate(x_bucket{job="a",le=~"1|2"}[5m])) / on (a) group_left(b) y offset 5m > bool 3';
    expect(metricNames(expr)).toEqual(['x_bucket', 'y']);
  });
});

describe('exposedNames (what a scrape of an exporter stores)', () => {
  it('reads sample names, and the series of declared families with no sample yet', () => {
    const text = [
      '# HELP pg_up Whether the last scrape could reach Postgres.',
      '# TYPE pg_up gauge',
      'pg_up 1',
      'redis_memory_used_bytes{instance="a"} 12 1700000000',
      '# TYPE spillway_ingest_request_seconds histogram',
      '# TYPE go_gc_duration_seconds summary',
      '# TYPE spillway_requests_rejected_total counter',
    ].join('\n');
    expect([...exposedNames(text)].sort()).toEqual(
      [
        'go_gc_duration_seconds',
        'go_gc_duration_seconds_count',
        'go_gc_duration_seconds_sum',
        'pg_up',
        'redis_memory_used_bytes',
        'spillway_ingest_request_seconds_bucket',
        'spillway_ingest_request_seconds_count',
        'spillway_ingest_request_seconds_sum',
        'spillway_requests_rejected_total',
      ].sort(),
    );
  });
});
