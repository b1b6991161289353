import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { spillway } from '../spillway';
import { alertRules, SCRAPE_JOBS } from './prometheus-rules';

// Debian's `prometheus` package; .ci/run installs it. Its evaluator is the one the box runs.
const promtool = (...args: string[]) => execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const a = spillway.alerts;
const apps = `job="${SCRAPE_JOBS.apps}"`;

/**
 * `promtool test rules` compares annotations too, and ours are templates of the live value; the
 * firing logic under test (expr, for, labels) is kept as rendered, the annotations are dropped.
 * `promtool check rules` below checks the committed file, templates included.
 */
function rulesWithoutAnnotations(dir: string): string {
  const rules = alertRules(spillway);
  for (const group of rules.groups) for (const rule of group.rules) delete (rule as { annotations?: unknown }).annotations;
  const file = join(dir, 'rules.yml');
  writeFileSync(file, stringify(rules));
  return file;
}

function runPromtoolTest(testCases: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-promtool-'));
  const rules = rulesWithoutAnnotations(dir);
  const file = join(dir, 'test.yml');
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests: testCases }));
  return promtool('test', 'rules', file);
}

describe('Prometheus alert rules (rendered from the definition, checked by promtool)', () => {
  it('the committed rules file passes promtool check rules', () => {
    expect(promtool('check', 'rules', join(ROOT, OUTPUT_PATHS.alertRules))).toMatch(/SUCCESS: 8 rules found/);
  });

  it('a dead letter makes SpillwayDeadLetters fire at once in Prometheus evaluation, for its lane only', () => {
    const out = runPromtoolTest([
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
    const out = runPromtoolTest([
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
    const out = runPromtoolTest([
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
