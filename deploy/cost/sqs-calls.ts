// Every SQS request the pods make that no event pays for: probes, scrapes, the absorber's load
// shedder, the workers' idle long polls, KEDA's queue reads, Lambda's pollers. Per replica (or per
// cluster), a minute, idle and busy; `eksPlan` prices them beside the per-event requests.
import { SHEDDER_SAMPLING, shedderReadsPerMinute } from '@spillway/queue/shedder-sampling';
import { loadConfig } from '@spillway/config/config';
import { SQS_PING_FRESH_MS } from '@spillway/queue/sqs/sqs.driver';
import { LANES } from '@spillway/config/lanes';
import { manifestObjects } from '../eks/chart';
import { workloadName } from '../eks/names';
import { EksDefinition } from '../model/definition';
import { plainEnv } from '../model/env';
import { lambdaLanes, podLanes } from '../model/lambda-lanes';
import { webhookSecretNames } from '../model/webhooks';
import { ASSUMPTIONS } from './assumptions';

export interface SqsCallRow {
  /** Who makes it: one absorber replica, one worker replica, or the cluster once. */
  per: 'absorber' | 'worker' | 'cluster';
  source: string;
  /** The SQS API call(s). */
  calls: string;
  idlePerMinute: number;
  /** At most, busy; undefined: the requests are in the measured per-event figure. */
  busyPerMinute?: number;
}

/** A long poll that finds nothing returns after its 20 s wait (sqs-consumer.ts: WaitTimeSeconds 20). */
const LONG_POLL_SECONDS = 20;
/** Batch size of a consumer's receive (sqs-consumer.ts: one poller per 10 of concurrency). */
const RECEIVE_BATCH = 10;
/** One reading of the metrics' broker figures: depth() of each lane (2: the queue and its DLQ). */
const CALLS_PER_READING = 2 * LANES.length;
/** At most one real ping per freshness window (probes and scrapes between are answered from it). */
const PINGS_PER_MINUTE_AT_MOST = 60_000 / SQS_PING_FRESH_MS;

const HELD_WHSEC = `whsec_${Buffer.from('held by the secret store: 32 byte').toString('base64')}`;

interface Rendered {
  kind: string;
  metadata: { name: string };
  spec: {
    template?: { metadata?: { annotations?: Record<string, string> }; spec: { containers: { readinessProbe?: { periodSeconds?: number } }[] } };
    pollingInterval?: number;
    triggers?: { type: string }[];
  };
}

export function sqsCallRows(def: EksDefinition): SqsCallRow[] {
  const docs = manifestObjects(def) as unknown as Rendered[];
  const rows: SqsCallRow[] = [];
  for (const svc of def.services) {
    const per = svc.role === 'absorber' ? 'absorber' : 'worker';
    const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name.startsWith(workloadName(def, svc)));
    const period = deployment?.spec.template?.spec.containers[0].readinessProbe?.periodSeconds;
    if (!period) continue;
    // Held by the secret store, their values unknown here: stand-ins of the shape the loader accepts.
    const held = Object.fromEntries(webhookSecretNames(def).filter((n) => svc.secrets.includes(n)).map((n) => [n, HELD_WHSEC]));
    const config = loadConfig({ ...plainEnv(def, svc, def.target), ...held });
    // A worker's long polls answer every 20 s at most, so its probes never need a call of their own;
    // an idle absorber's other calls (shedder, metrics) come once a minute, so its probes may.
    const pollsAnswer = per === 'worker' && LONG_POLL_SECONDS * 1000 < SQS_PING_FRESH_MS;
    const pings = pollsAnswer ? 0 : Math.min(60 / period, PINGS_PER_MINUTE_AT_MOST);
    rows.push({
      per,
      source: `${svc.name}: readiness probe every ${period} s (ping: answered by any SQS answer of the last ${SQS_PING_FRESH_MS / 1000} s${pollsAnswer ? ', the long polls' : ''})`,
      calls: 'GetQueueAttributes',
      idlePerMinute: pings,
      // Busy, sends (absorber) or receives (worker) answer every few seconds.
      busyPerMinute: 0,
    });
    if (deployment?.spec.template?.metadata?.annotations?.['prometheus.io/scrape'] === 'true') {
      const every = Math.max(ASSUMPTIONS.eksScrapeSeconds, config.sqsMetricsReadS);
      const readings = (60 / every) * CALLS_PER_READING;
      rows.push({
        per,
        source: `${svc.name}: metrics scrape every ${ASSUMPTIONS.eksScrapeSeconds} s (depth of ${LANES.length} lanes and DLQs read at most every ${config.sqsMetricsReadS} s, SQS_METRICS_READ_S)`,
        calls: 'GetQueueAttributes',
        idlePerMinute: readings,
        busyPerMinute: readings,
      });
    }
    if (svc.role === 'absorber') {
      const marked = LANES.filter((l) => config.laneHighWater[l] > 0).length;
      const reads = shedderReadsPerMinute(SHEDDER_SAMPLING, marked, false);
      rows.push({
        per,
        source: `${svc.name}: load shedder, ${marked} lanes: every ${SHEDDER_SAMPLING.idleMs / 1000} s idle, at most every ${SHEDDER_SAMPLING.busyMs / 1000} s near a mark`,
        calls: 'GetQueueAttributes',
        idlePerMinute: reads.idle,
        busyPerMinute: reads.busyMax,
      });
      rows.push({ per, source: `${svc.name}: enqueue (group commit)`, calls: 'SendMessageBatch', idlePerMinute: 0 });
    } else {
      const lanes = podLanes(svc, def.target);
      const pollers = lanes.reduce((s, l) => s + Math.ceil(config.workerConcurrency[l] / RECEIVE_BATCH), 0);
      rows.push({
        per,
        source: `${svc.name}: ${pollers} long polls (${lanes.map((l) => `${l} ${Math.ceil(config.workerConcurrency[l] / RECEIVE_BATCH)}`).join(', ')}), ${LONG_POLL_SECONDS} s wait`,
        calls: 'ReceiveMessage',
        idlePerMinute: pollers * (60 / LONG_POLL_SECONDS),
      });
      rows.push({ per, source: `${svc.name}: deliveries (delete, lease extension, retry backoff, dead-letter copy)`, calls: 'DeleteMessageBatch, ChangeMessageVisibility(Batch), SendMessageBatch', idlePerMinute: 0 });
    }
  }
  for (const scaler of docs.filter((d) => d.kind === 'ScaledObject')) {
    const triggers = (scaler.spec.triggers ?? []).filter((t) => t.type === 'aws-sqs-queue').length;
    const every = scaler.spec.pollingInterval ?? 30;
    if (triggers) rows.push({ per: 'cluster', source: `KEDA: ${triggers} queue triggers every ${every} s`, calls: 'GetQueueAttributes', idlePerMinute: triggers * (60 / every), busyPerMinute: triggers * (60 / every) });
  }
  for (const l of lambdaLanes(def)) {
    const n = ASSUMPTIONS.lambdaSqsPollers;
    rows.push({ per: 'cluster', source: `Lambda lane ${l.lane}: about ${n} long polls (AWS's pollers, estimated)`, calls: 'ReceiveMessage', idlePerMinute: n * (60 / LONG_POLL_SECONDS) });
  }
  return rows;
}

/** SQS requests a minute that no event pays for, at rest (busy: false) or at the busy bound, for these pod counts. */
export function fixedSqsCallsPerMinute(rows: SqsCallRow[], pods: { absorber: number; worker: number }, busy: boolean): number {
  const n = { absorber: pods.absorber, worker: pods.worker, cluster: 1 };
  return rows.reduce((s, r) => s + n[r.per] * (busy ? (r.busyPerMinute ?? r.idlePerMinute) : r.idlePerMinute), 0);
}

/** The per-replica table of docs/sqs-driver.md and the cost report. */
export function renderSqsCallTable(def: EksDefinition): string {
  const rows = sqsCallRows(def);
  const sum = (per: SqsCallRow['per'], busy: boolean) =>
    rows.filter((r) => r.per === per).reduce((s, r) => s + (busy ? (r.busyPerMinute ?? r.idlePerMinute) : r.idlePerMinute), 0);
  const fixedBusy = (per: SqsCallRow['per']) => rows.filter((r) => r.per === per && r.busyPerMinute !== undefined).reduce((s, r) => s + r.busyPerMinute!, 0);
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  return [
    '| per | source | call | idle / min | busy / min |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.per} | ${r.source} | ${r.calls} | ${fmt(r.idlePerMinute)} | ${r.busyPerMinute === undefined ? 'per event (measured)' : `${r.busyPerMinute > r.idlePerMinute ? 'at most ' : ''}${fmt(r.busyPerMinute)}`} |`),
    `| absorber | total per replica |  | ${fmt(sum('absorber', false))} | ${fmt(fixedBusy('absorber'))} + per event |`,
    `| worker | total per replica |  | ${fmt(sum('worker', false))} | ${fmt(fixedBusy('worker'))} + per event |`,
    `| cluster | total |  | ${fmt(sum('cluster', false))} | ${fmt(fixedBusy('cluster'))} + per event |`,
  ].join('\n');
}
