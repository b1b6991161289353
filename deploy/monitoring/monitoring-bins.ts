// The box's monitoring programs at the box's versions (scripts/monitoring-bins.sh fetches them from
// Debian's trixie and sid into a cache; .ci/run does it before the tests): promtool of the
// Prometheus major the box runs, and the exporters whose metric names the dashboards and rules use.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../outputs';
import { spillway } from '../spillway';
import { targetOf } from '../model/targets';

export type MonitoringProgram = 'promtool' | 'postgres_exporter' | 'redis_exporter' | 'node_exporter';

let bin: string | undefined;

/** The cache folder the script prints; the script returns at once when the cache is complete. */
export function monitoringBin(): string {
  bin ??= execFileSync(join(ROOT, 'scripts/monitoring-bins.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return bin;
}

export const monitoringProgram = (name: MonitoringProgram): string => join(monitoringBin(), name);

/** `x.y.z` of a program's `--version` (the exporters print it on stderr, redis_exporter in a log line). */
export function programVersion(path: string): string {
  const run = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const out = `${run.stdout}${run.stderr}`;
  const m = /(?:version |Exporter )v?(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`no version in the output of ${path} --version: ${out}`);
  return m[1];
}

/** `x.y.z` of an image tag such as `prom/prometheus:v3.5.0`. */
export function imageVersion(image: string): string {
  const m = /:v?(\d+\.\d+\.\d+)$/.exec(image);
  if (!m) throw new Error(`no x.y.z version in the image tag ${image}`);
  return m[1];
}

const containers = () => targetOf(spillway, 'hetzner', 'compose').monitoring.containers;

/** The image each program stands for on the box. */
export function boxImage(name: MonitoringProgram): string {
  const c = containers();
  return { promtool: c.prometheus, postgres_exporter: c['postgres-exporter'], redis_exporter: c['redis-exporter'], node_exporter: c['node-exporter'] }[name].image;
}
