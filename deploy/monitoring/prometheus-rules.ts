// Prometheus alert rules for the Hetzner box, rendered from the definition's `alerts` (the one
// place the thresholds live; the CloudWatch alarms on AWS read the same numbers).
import { stringify } from 'yaml';
import { LANES } from '@spillway/config/lanes';
import { SharedDefinition } from '../model/definition';

/** Scrape jobs the rules select on: the box's Prometheus must name its jobs like this. */
export const SCRAPE_JOBS = { apps: 'spillway', node: 'node' } as const;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

export function alertRules(def: SharedDefinition): { groups: Array<{ name: string; rules: Rule[] }> } {
  const a = def.alerts;
  const hold = `${a.forMinutes}m`;
  const apps = `job="${SCRAPE_JOBS.apps}"`;
  const rules: Rule[] = [
    {
      alert: 'SpillwayDeadLetters',
      // max over the scraping processes: every app reports the same broker figure.
      expr: `max by (lane) (spillway_dead_letters{${apps}}) > ${a.deadLetters}`,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Dead letters in lane {{ $labels.lane }}',
        description: '{{ $value }} dead-lettered deliveries in lane {{ $labels.lane }}: see `npm run status` or the console, fix, then redrive.',
      },
    },
    ...LANES.map((lane) => ({
      alert: 'SpillwayOldestEventTooOld',
      expr: `max(spillway_queue_oldest_age_seconds{${apps},lane="${lane}"}) > ${a.oldestEventSeconds[lane]}`,
      for: hold,
      labels: { severity: lane === 'critical' ? 'critical' : 'warning', lane },
      annotations: {
        summary: `Lane ${lane}: oldest waiting event older than ${a.oldestEventSeconds[lane]} s`,
        description: `The oldest waiting event in lane ${lane} is {{ $value | humanizeDuration }} old: workers are behind or stopped.`,
      },
    })),
    {
      alert: 'SpillwayIngest5xx',
      expr:
        `sum(rate(spillway_ingest_request_seconds_count{${apps},status=~"5.."}[5m])) / ` +
        `sum(rate(spillway_ingest_request_seconds_count{${apps}}[5m])) > ${a.serverErrorRatio}`,
      for: hold,
      labels: { severity: 'critical' },
      annotations: {
        summary: `More than ${a.serverErrorRatio * 100}% of ingest answers are 5xx`,
        description: '{{ $value | humanizePercentage }} of ingest requests got a 5xx (503: broker unreachable or a lane over its high-water mark).',
      },
    },
    {
      alert: 'SpillwayAppDown',
      expr: `up{${apps}} == 0`,
      for: hold,
      labels: { severity: 'critical' },
      annotations: { summary: '{{ $labels.instance }} does not answer its metrics scrape', description: 'The process is down or unreachable; its readiness cannot be up either.' },
    },
    {
      alert: 'SpillwayBrokerUnreachable',
      expr: `spillway_broker_up{${apps}} == 0`,
      for: hold,
      labels: { severity: 'critical' },
      annotations: { summary: '{{ $labels.instance }} cannot reach its broker', description: 'Readiness is down on this instance: the absorber answers 503, the worker takes nothing.' },
    },
    {
      alert: 'SpillwayDiskFilling',
      expr:
        `node_filesystem_avail_bytes{job="${SCRAPE_JOBS.node}",fstype!~"tmpfs|overlay"} / ` +
        `node_filesystem_size_bytes{job="${SCRAPE_JOBS.node}",fstype!~"tmpfs|overlay"} < ${a.diskFreeRatio}`,
      for: hold,
      labels: { severity: 'critical' },
      annotations: {
        summary: `Less than ${a.diskFreeRatio * 100}% free on {{ $labels.mountpoint }}`,
        description: 'Redis (AOF) and Postgres stop accepting writes when the disk fills: the absorber then answers 503.',
      },
    },
  ];
  return { groups: [{ name: 'spillway', rules }] };
}

export function renderAlertRules(def: SharedDefinition): string {
  const header = '# Rendered from deploy/spillway.ts (alerts) by `npm run synth`; do not edit.\n';
  return header + stringify(alertRules(def), { lineWidth: 0 });
}
