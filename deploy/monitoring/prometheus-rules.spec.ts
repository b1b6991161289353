import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { spillway } from '../spillway';
import { alertRules, SCRAPE_JOBS } from './prometheus-rules';
import { majorVersionProblems } from './promql-major';
import { composeDefinition, targetOf } from '../model/targets';
import { boxImage, imageVersion, monitoringProgram, programVersion } from './monitoring-bins';

/**
 * Two promtools: the box's major (3.x, from Debian sid: scripts/monitoring-bins.sh), whose parser
 * and evaluator are the ones the box runs, and Debian 12's 2.42 (`prometheus`, .ci/run installs
 * it), which is the Prometheus in the compose e2e's stand-in image: the rules must mean the same in both.
 */
const PROMTOOLS = [
  { name: 'promtool of the box major', path: monitoringProgram('promtool') },
  { name: "Debian 12's promtool 2.42 (the e2e stand-in)", path: 'promtool' },
];
const promtool = (path: string, ...args: string[]) => execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const a = spillway.alerts;
const apps = `job="${SCRAPE_JOBS.apps}"`;

/**
 * `promtool test rules` compares annotations too, and ours are templates of the live value; the
 * firing logic under test (expr, for, labels) is kept as rendered, the annotations are dropped.
 * `promtool check rules` below checks the committed file, templates included.
 */
function rulesWithoutAnnotations(dir: string): string {
  const rules = alertRules(composeDefinition(spillway));
  for (const group of rules.groups) for (const rule of group.rules) delete (rule as { annotations?: unknown }).annotations;
  const file = join(dir, 'rules.yml');
  writeFileSync(file, stringify(rules));
  return file;
}

function runPromtoolTest(path: string, testCases: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-promtool-'));
  const rules = rulesWithoutAnnotations(dir);
  const file = join(dir, 'test.yml');
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests: testCases }));
  return promtool(path, 'test', 'rules', file);
}

const major = (version: string) => version.split('.')[0];

describe('the promtools the rules are checked with', () => {
  it("the first is of the major of the box's Prometheus image, the second of the e2e stand-in's 2.x", () => {
    expect(major(programVersion(PROMTOOLS[0].path))).toBe(major(imageVersion(boxImage('promtool'))));
    expect(major(programVersion(PROMTOOLS[1].path))).toBe('2');
  });
});

describe('the alert rules mean the same in Prometheus 2.x and 3.x', () => {
  // The e2e's stand-in Prometheus is Debian 12's 2.42 while the box runs 3.x: what 3.0 changed the
  // meaning of is refused, so that an alert the e2e sees fire means the same on the box.
  it('uses no PromQL construct whose meaning changed between Prometheus 2.x (the e2e stand-in) and 3.x (the box)', () => {
    const scrape = targetOf(spillway, 'hetzner', 'compose').monitoring.scrapeSeconds;
    const problems = alertRules(composeDefinition(spillway)).groups.flatMap((g) => g.rules.flatMap((r) => majorVersionProblems(r.expr, scrape).map((p) => `${r.alert}: ${p}`)));
    expect(problems).toEqual([]);
  });

  it('the 2.x/3.x check refuses each changed construct and passes their safe forms', () => {
    const refused = [
      'holt_winters(x[1h], 0.5, 0.5)',
      'double_exponential_smoothing(x[1h], 0.5, 0.5)',
      'x{lane=~"crit.*"}',
      String.raw`x{lane!~"a\\\\.b"}`, // an escaped backslash, then any character
      'sum(rate(h_bucket{le="1"}[5m]))',
      's{quantile!="0.5"}',
      'rate(x[30s])',
      'max_over_time(x[45s:15s])',
    ];
    for (const expr of refused) expect([expr, majorVersionProblems(expr, 15).length]).toEqual([expr, 1]);
    const safe = ['x{status=~"5.."}', String.raw`x{lane=~"a\\.b"}`, 'x{lane=~"v[.]1"}', 'x{fstype!~"tmpfs|overlay"}', 'rate(x[1m])', 'rate(x[$__rate_interval])', String.raw`h_bucket{le=~"1(\\.0)?"}`];
    for (const expr of safe) expect([expr, majorVersionProblems(expr, 15)]).toEqual([expr, []]);
  });
});

describe.each(PROMTOOLS)('Prometheus alert rules (rendered from the definition), checked by $name', ({ path }) => {
  it('the committed rules file passes promtool check rules', () => {
    expect(promtool(path, 'check', 'rules', join(ROOT, OUTPUT_PATHS.alertRules))).toMatch(/SUCCESS: 8 rules found/);
  });

  it('a dead letter makes SpillwayDeadLetters fire at once in Prometheus evaluation, for its lane only', () => {
    const out = runPromtoolTest(path, [
      {
        interval: '1m',
        input_series: [
          { series: `spillway_dead_letters{${apps},instance="worker:8081",lane="low"}`, values: '0 0 1 1 1' },
          { series: `spillway_dead_letters{${apps},instance="absorber:8080",lane="low"}`, values: '0 0 1 1 1' },
          { series: `spillway_dead_letters{${apps},instance="worker:8081",lane="critical"}`, values: '0 0 0 0 0' },
        ],
        alert_rule_test: [
          { eval_time: '1m', alertname: 'SpillwayDeadLetters', exp_alerts: [] },
          { eval_time: '2m', alertname: 'SpillwayDeadLetters', exp_alerts: [{ exp_labels: { severity: 'warning', lane: 'low' } }] },
        ],
      },
    ]);
    expect(out).toMatch(/SUCCESS/);
  });

  it('fires the per-lane age, 5xx, broker, app-down and disk alerts past their thresholds, after `forMinutes`', () => {
    const held = `${a.forMinutes + 1}m`;
    const early = `${a.forMinutes - 1}m`;
    const n = a.forMinutes + 5;
    const out = runPromtoolTest(path, [
      {
        interval: '1m',
        input_series: [
          // Each lane's oldest event just over its own threshold; a second worker just under it.
          ...(['critical', 'normal', 'low'] as const).flatMap((lane) => [
            { series: `spillway_queue_oldest_age_seconds{${apps},instance="worker:8081",lane="${lane}"}`, values: `${a.oldestEventSeconds[lane] + 1}x${n}` },
            { series: `spillway_queue_oldest_age_seconds{${apps},instance="absorber:8080",lane="${lane}"}`, values: `${a.oldestEventSeconds[lane] - 1}x${n}` },
          ]),
          // 5xx at twice the allowed share of all answers.
          { series: `spillway_ingest_request_seconds_count{${apps},instance="absorber:8080",lane="normal",status="202"}`, values: `0+1000x${n}` },
          { series: `spillway_ingest_request_seconds_count{${apps},instance="absorber:8080",lane="none",status="503"}`, values: `0+${1000 * a.serverErrorRatio * 2}x${n}` },
          { series: `spillway_broker_up{${apps},instance="absorber:8080"}`, values: `0x${n}` },
          { series: `up{${apps},instance="worker:8081"}`, values: `0x${n}` },
          { series: `node_filesystem_avail_bytes{job="node",instance="box",fstype="ext4",mountpoint="/"}`, values: `${(a.diskFreeRatio - 0.01) * 1000}x${n}` },
          { series: `node_filesystem_size_bytes{job="node",instance="box",fstype="ext4",mountpoint="/"}`, values: `1000x${n}` },
        ],
        alert_rule_test: [
          { eval_time: early, alertname: 'SpillwayOldestEventTooOld', exp_alerts: [] },
          {
            eval_time: held,
            alertname: 'SpillwayOldestEventTooOld',
            exp_alerts: [
              { exp_labels: { severity: 'critical', lane: 'critical' } },
              { exp_labels: { severity: 'warning', lane: 'normal' } },
              { exp_labels: { severity: 'warning', lane: 'low' } },
            ],
          },
          { eval_time: early, alertname: 'SpillwayIngest5xx', exp_alerts: [] },
          { eval_time: held, alertname: 'SpillwayIngest5xx', exp_alerts: [{ exp_labels: { severity: 'critical' } }] },
          { eval_time: held, alertname: 'SpillwayBrokerUnreachable', exp_alerts: [{ exp_labels: { severity: 'critical', job: 'spillway', instance: 'absorber:8080' } }] },
          { eval_time: held, alertname: 'SpillwayAppDown', exp_alerts: [{ exp_labels: { severity: 'critical', job: 'spillway', instance: 'worker:8081' } }] },
          {
            eval_time: held,
            alertname: 'SpillwayDiskFilling',
            exp_alerts: [{ exp_labels: { severity: 'critical', job: 'node', instance: 'box', fstype: 'ext4', mountpoint: '/' } }],
          },
        ],
      },
    ]);
    expect(out).toMatch(/SUCCESS/);
  });

  it('a lane under its threshold, a healthy 5xx share and a roomy disk fire nothing', () => {
    const n = a.forMinutes + 5;
    const out = runPromtoolTest(path, [
      {
        interval: '1m',
        input_series: [
          { series: `spillway_queue_oldest_age_seconds{${apps},instance="worker:8081",lane="critical"}`, values: `${a.oldestEventSeconds.critical}x${n}` },
          { series: `spillway_ingest_request_seconds_count{${apps},instance="absorber:8080",lane="normal",status="202"}`, values: `0+1000x${n}` },
          { series: `spillway_ingest_request_seconds_count{${apps},instance="absorber:8080",lane="none",status="503"}`, values: `0+${1000 * a.serverErrorRatio * 0.5}x${n}` },
          { series: `spillway_broker_up{${apps},instance="absorber:8080"}`, values: `1x${n}` },
          { series: `node_filesystem_avail_bytes{job="node",instance="box",fstype="ext4",mountpoint="/"}`, values: `500x${n}` },
          { series: `node_filesystem_size_bytes{job="node",instance="box",fstype="ext4",mountpoint="/"}`, values: `1000x${n}` },
        ],
        alert_rule_test: ['SpillwayOldestEventTooOld', 'SpillwayIngest5xx', 'SpillwayBrokerUnreachable', 'SpillwayDiskFilling', 'SpillwayDeadLetters'].map((alertname) => ({
          eval_time: `${n}m`,
          alertname,
          exp_alerts: [],
        })),
      },
    ]);
    expect(out).toMatch(/SUCCESS/);
  });
});
