// The box's Prometheus, asked through its HTTP API on the loopback port the compose file publishes.
import { spillway } from '../../../deploy/spillway';
import { targetOf } from '../../../deploy/model/targets';

export const PROMETHEUS = `http://127.0.0.1:${targetOf(spillway, 'hetzner', 'compose').monitoring.ports.prometheus}`;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query; a refused query throws with Prometheus's own error. */
export async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`prometheus query ${expr}: ${body.error}`);
  return body.data.result;
}

export interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** Alerts as Prometheus's own rule evaluation sees them now. */
export async function alerts(): Promise<Alert[]> {
  const res = await fetch(`${PROMETHEUS}/api/v1/alerts`);
  return ((await res.json()) as { data: { alerts: Alert[] } }).data.alerts;
}

/** `up` per `job/service` (`job` alone for Prometheus itself). */
export async function upByTarget(): Promise<Record<string, string>> {
  const samples = await query('up');
  return Object.fromEntries(samples.map((s) => [s.metric.service ? `${s.metric.job}/${s.metric.service}` : s.metric.job, s.value[1]]));
}

/** The running Prometheus's own version (`3.5.3+ds1` for Debian's build), from its build info. */
export async function prometheusVersion(): Promise<string> {
  const res = await fetch(`${PROMETHEUS}/api/v1/status/buildinfo`);
  return ((await res.json()) as { data: { version: string } }).data.version;
}
