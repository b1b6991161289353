import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { spillway } from '../spillway';
import { alertRules, SCRAPE_JOBS } from './prometheus-rules';
import { EXPORTERS, prometheusConfig } from './prometheus-config';
import { composeDefinition, targetOf } from '../model/targets';
import { monitoringProgram } from './monitoring-bins';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The config parser of the box's Prometheus major (scripts/monitoring-bins.sh) and of Debian 12's
// 2.42 (`prometheus`, .ci/run installs it), the Prometheus of the compose e2e's stand-in image.
const PROMTOOLS = [
  { name: 'promtool of the box major', path: monitoringProgram('promtool') },
  { name: "Debian 12's promtool 2.42 (the e2e stand-in)", path: 'promtool' },
];

function promtoolCheckConfig(dir: string, promtool = PROMTOOLS[0].path): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync(promtool, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The config and its rules file in a folder of their own, as the compose file mounts them. */
function configDir(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-promconf-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  copyFileSync(join(ROOT, OUTPUT_PATHS.alertRules), join(dir, 'alerts.rules.yml'));
  return dir;
}

const committed = readFileSync(join(ROOT, OUTPUT_PATHS.prometheusConfig), 'utf8');
const config = parse(committed) as Any;
const jobs = (config.scrape_configs as Any[]).map((j) => j.job_name as string);
const targets = (job: string) => (config.scrape_configs as Any[]).find((j) => j.job_name === job)!.static_configs.flatMap((s: Any) => s.targets);

describe('prometheus.yml of the monitoring profile', () => {
  it.each(PROMTOOLS)('passes check config of the $name, rules file included', ({ path }) => {
    const { ok, out } = promtoolCheckConfig(join(ROOT, 'deploy/monitoring/rendered'), path);
    expect(out).toContain('SUCCESS: 1 rule files found');
    expect(out).toMatch(/SUCCESS: 8 rules found/);
    expect(ok).toBe(true);
  });

  it.each(PROMTOOLS)('the check can fail: a bad interval and a missing rules file are refused by the $name', ({ path }) => {
    const bad = { ...config, global: { ...config.global, scrape_interval: 'fast' } };
    expect(promtoolCheckConfig(configDir(stringify(bad)), path).ok).toBe(false);
    const noRules = { ...config, rule_files: ['missing.rules.yml'] };
    expect(promtoolCheckConfig(configDir(stringify(noRules)), path).out).toContain('missing.rules.yml');
  });

  it("scrapes every app's metrics port, each exporter and itself, every scrape interval", () => {
    expect(targets(SCRAPE_JOBS.apps).sort()).toEqual(['absorber:9464', 'worker:8081']);
    for (const [service, e] of Object.entries(EXPORTERS)) expect(targets(e.job)).toEqual([`${service}:${e.port}`]);
    expect(targets('prometheus')).toEqual(['localhost:9090']);
    expect(config.global.scrape_interval).toBe(`${targetOf(spillway, 'hetzner', 'compose').monitoring.scrapeSeconds}s`);
    expect(config.rule_files).toEqual(['alerts.rules.yml']);
  });

  it('defines every job the alert rules select on', () => {
    const selected = alertRules(composeDefinition(spillway)).groups.flatMap((g) => g.rules.flatMap((r) => [...r.expr.matchAll(/job="([^"]+)"/g)].map((m) => m[1])));
    expect([...new Set(selected)].filter((j) => !jobs.includes(j))).toEqual([]);
    expect(selected.length).toBeGreaterThan(0);
  });

  it('finds a scaled-out service through Docker DNS (every replica), a single one by name', () => {
    const def = structuredClone(spillway);
    targetOf(def, 'hetzner', 'compose').services.worker.replicas = 3;
    const app = (prometheusConfig(composeDefinition(def)).scrape_configs as Any[])[0];
    expect(app.static_configs.flatMap((s: Any) => s.targets)).toEqual(['absorber:9464']);
    expect(app.dns_sd_configs).toEqual([{ names: ['worker'], type: 'A', port: 8081 }]);
  });
});
