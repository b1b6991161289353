// The box's Grafana dashboards, rendered as JSON files from the definition: "Spillway" (lanes,
// ingest, workers, processes: the apps' own metrics) and "Spillway box" (Redis, Postgres, the
// machine, alerts). Every metric they name is checked against the apps' registry or the exporters'
// series in dashboards.spec.ts, and found in a running Prometheus by the compose e2e.
import { LANES } from '@spillway/config/lanes';
import { ComposeDefinition } from '../model/definition';
import { dashboard, PanelSpec } from './grafana';
import { SCRAPE_JOBS } from './prometheus-rules';

const apps = `job="${SCRAPE_JOBS.apps}"`;
const rate = (metric: string, by: string, filter = '') => `sum by (${by}) (rate(${metric}{${apps}${filter}}[$__rate_interval]))`;
const quantile = (q: number, metric: string, by: string) =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket{${apps}}[$__rate_interval])))`;

function lanePanels(def: ComposeDefinition): PanelSpec[] {
  const limits = LANES.map((l) => `${l} ${def.alerts.oldestEventSeconds[l]} s`).join(', ');
  return [
    {
      title: 'Queue depth per lane',
      description: 'Broker messages per lane and state (a message carries one or more events). Max over the processes reporting it.',
      unit: 'short',
      queries: [{ expr: `max by (lane, state) (spillway_queue_depth{${apps},state=~"waiting|delayed|active"})`, legend: '{{lane}} {{state}}' }],
    },
    {
      title: 'Age of the oldest waiting event',
      description: `Per lane. Alerts (SpillwayOldestEventTooOld) above: ${limits} (alerts.oldestEventSeconds), held ${def.alerts.forMinutes} min.`,
      unit: 's',
      queries: [{ expr: `max by (lane) (spillway_queue_oldest_age_seconds{${apps}})`, legend: '{{lane}}' }],
    },
    {
      title: 'Dead letters per lane',
      description: `Alerts (SpillwayDeadLetters) above ${def.alerts.deadLetters}. Act with \`npm run status\` or the operator console: fix, then redrive.`,
      unit: 'short',
      queries: [{ expr: `max by (lane) (spillway_dead_letters{${apps}})`, legend: '{{lane}}' }],
    },
  ];
}

const ingestPanels: PanelSpec[] = [
  {
    title: 'Ingest requests per second',
    description: 'By lane (batch: the batch route; none: no lane, e.g. 400/401/503) and HTTP status.',
    unit: 'reqps',
    queries: [{ expr: rate('spillway_ingest_request_seconds_count', 'lane, status'), legend: '{{lane}} {{status}}' }],
  },
  {
    title: 'Ingest latency',
    description: 'From arrival to answer, all ingest requests.',
    unit: 's',
    queries: [
      { expr: quantile(0.5, 'spillway_ingest_request_seconds', 'job'), legend: 'p50' },
      { expr: quantile(0.99, 'spillway_ingest_request_seconds', 'job'), legend: 'p99' },
    ],
  },
  {
    title: 'Events accepted and refused',
    description: 'Events acknowledged with 202 per lane; requests refused (429/503, nothing held) per status; the 5xx share the SpillwayIngest5xx alert reads.',
    unit: 'short',
    queries: [
      { expr: rate('spillway_events_accepted_total', 'lane'), legend: 'accepted/s {{lane}}' },
      { expr: rate('spillway_requests_rejected_total', 'status'), legend: 'refused/s {{status}}' },
      {
        expr: `sum(rate(spillway_ingest_request_seconds_count{${apps},status=~"5.."}[$__rate_interval])) / sum(rate(spillway_ingest_request_seconds_count{${apps}}[$__rate_interval]))`,
        legend: '5xx share',
      },
    ],
  },
];

const workerPanels: PanelSpec[] = [
  {
    title: 'Worker outcomes',
    description: 'Deliveries per second by lane and outcome: succeeded, failed (retried), failed_final (dead-lettered), deferred (database down).',
    unit: 'short',
    queries: [{ expr: rate('spillway_deliveries_total', 'lane, outcome'), legend: '{{lane}} {{outcome}}' }],
  },
  {
    title: 'Events processed per second',
    description: 'Events whose handler committed, per lane (the out-rate).',
    unit: 'short',
    queries: [{ expr: rate('spillway_events_processed_total', 'lane'), legend: '{{lane}}' }],
  },
  {
    title: 'Delivery duration and wait (p99)',
    description: 'Time to handle one delivery, and how long its oldest event waited from its 202 to the start of handling, per lane.',
    unit: 's',
    queries: [
      { expr: quantile(0.99, 'spillway_delivery_seconds', 'lane'), legend: 'handling {{lane}}' },
      { expr: quantile(0.99, 'spillway_event_wait_seconds', 'lane'), legend: 'wait {{lane}}' },
    ],
  },
  {
    title: 'Mean attempt number',
    description: 'Above 1 means retries: deliveries are failing and coming back.',
    unit: 'short',
    queries: [
      {
        expr: `sum by (lane) (rate(spillway_delivery_attempt_sum{${apps}}[$__rate_interval])) / sum by (lane) (rate(spillway_delivery_attempt_count{${apps}}[$__rate_interval]))`,
        legend: '{{lane}}',
      },
    ],
  },
];

const processPanels: PanelSpec[] = [
  {
    title: 'Event-loop lag',
    description: "prom-client's sampled event-loop delay per process: a busy or blocked loop answers everything late.",
    unit: 's',
    queries: [
      { expr: `max by (service) (nodejs_eventloop_lag_p99_seconds{${apps}})`, legend: 'p99 {{service}}' },
      { expr: `max by (service) (nodejs_eventloop_lag_seconds{${apps}})`, legend: 'last {{service}}' },
    ],
  },
  {
    title: 'Scrape and broker up',
    description: 'up: the process answers its scrape (SpillwayAppDown); broker: its ping reached the broker (SpillwayBrokerUnreachable).',
    unit: 'short',
    queries: [
      { expr: `up{${apps}}`, legend: 'up {{service}}' },
      { expr: `spillway_broker_up{${apps}}`, legend: 'broker {{service}}' },
    ],
  },
  {
    title: 'Memory (RSS)',
    description: 'Resident memory per process, against its container limit in docker-compose.yml.',
    unit: 'bytes',
    queries: [{ expr: `process_resident_memory_bytes{${apps}}`, legend: '{{service}}' }],
  },
];

export function spillwayDashboard(def: ComposeDefinition): Record<string, unknown> {
  return dashboard('spillway', 'Spillway', [
    { title: 'Lanes', panels: lanePanels(def) },
    { title: 'Ingest (absorber)', panels: ingestPanels },
    { title: 'Workers', panels: workerPanels },
    { title: 'Processes', panels: processPanels },
  ]);
}

export function boxDashboard(def: ComposeDefinition): Record<string, unknown> {
  const disk = `node_filesystem_avail_bytes{job="${SCRAPE_JOBS.node}",fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{job="${SCRAPE_JOBS.node}",fstype!~"tmpfs|overlay"}`;
  return dashboard('spillway-box', 'Spillway box', [
    {
      title: 'Alerts',
      panels: [
        {
          title: 'Firing alerts',
          description: 'Rules from deploy/monitoring/rendered/alerts.rules.yml that fire now (Prometheus /alerts has the detail).',
          unit: 'short',
          type: 'table',
          queries: [{ expr: 'ALERTS{alertstate="firing"}', legend: '{{alertname}}' }],
        },
        {
          title: 'Disk free',
          description: `Free share per filesystem of the box; SpillwayDiskFilling below ${def.alerts.diskFreeRatio * 100}%.`,
          unit: 'percentunit',
          queries: [{ expr: disk, legend: '{{mountpoint}}' }],
        },
        {
          title: 'Scrape targets up',
          description: 'Every job Prometheus scrapes: the apps, the exporters, itself.',
          unit: 'short',
          queries: [{ expr: 'up', legend: '{{job}} {{service}}' }],
        },
      ],
    },
    {
      title: 'Redis and Postgres',
      panels: [
        {
          title: 'Redis memory',
          description: 'Used against maxmemory: the absorber sheds lanes from REDIS_MEMORY_HIGH_WATER (percent of maxmemory) on.',
          unit: 'bytes',
          queries: [
            { expr: 'redis_memory_used_bytes', legend: 'used' },
            { expr: 'redis_memory_max_bytes', legend: 'maxmemory' },
          ],
        },
        {
          title: 'Redis clients and commands',
          description: 'Connected clients, and commands per second.',
          unit: 'short',
          queries: [
            { expr: 'redis_connected_clients', legend: 'clients' },
            { expr: 'rate(redis_commands_processed_total[$__rate_interval])', legend: 'commands/s' },
          ],
        },
        {
          title: 'Postgres connections and size',
          description: 'Backends against max_connections; the database size is in the tooltip.',
          unit: 'short',
          queries: [
            { expr: 'sum(pg_stat_database_numbackends)', legend: 'connections' },
            { expr: 'max(pg_settings_max_connections)', legend: 'max_connections' },
            { expr: 'pg_up', legend: 'pg_up' },
          ],
        },
      ],
    },
    {
      title: 'Machine',
      panels: [
        {
          title: 'CPU busy',
          description: 'Share of the box CPUs not idle.',
          unit: 'percentunit',
          queries: [{ expr: `1 - avg(rate(node_cpu_seconds_total{job="${SCRAPE_JOBS.node}",mode="idle"}[$__rate_interval]))`, legend: 'busy' }],
        },
        {
          title: 'Memory available',
          description: `The box has ${def.target.box.memoryMiB} MiB (${def.target.box.type}).`,
          unit: 'bytes',
          queries: [{ expr: `node_memory_MemAvailable_bytes{job="${SCRAPE_JOBS.node}"}`, legend: 'available' }],
        },
        {
          title: 'Postgres database size',
          description: 'On-disk size of each database.',
          unit: 'bytes',
          queries: [{ expr: 'pg_database_size_bytes', legend: '{{datname}}' }],
        },
      ],
    },
  ]);
}

/** Rendered file name -> dashboard, under deploy/monitoring/rendered/dashboards/. */
export function dashboards(def: ComposeDefinition): Record<string, Record<string, unknown>> {
  return { 'spillway.json': spillwayDashboard(def), 'box.json': boxDashboard(def) };
}
