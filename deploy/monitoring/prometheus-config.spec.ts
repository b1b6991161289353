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

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Debian's `prometheus` package (.ci/run installs it): the config parser of the box's Prometheus.
function promtoolCheckConfig(dir: string): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
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
  it('passes promtool check config, rules file included', () => {
    const { ok, out } = promtoolCheckConfig(join(ROOT, 'deploy/monitoring/rendered'));
    expect(out).toContain('SUCCESS: 1 rule files found');
    expect(out).toMatch(/SUCCESS: 8 rules found/);
    expect(ok).toBe(true);
  });

  it('the check can fail: a bad interval and a missing rules file are refused', () => {
    const bad = { ...config, global: { ...config.global, scrape_interval: 'fast' } };
    expect(promtoolCheckConfig(configDir(stringify(bad))).ok).toBe(false);
    const noRules = { ...config, rule_files: ['missing.rules.yml'] };
    expect(promtoolCheckConfig(configDir(stringify(noRules))).out).toContain('missing.rules.yml');
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
