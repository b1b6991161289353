import { readFile } from 'node:fs/promises';
import { Pool } from 'pg';
import { Lane, LANES } from '@spillway/config';
import { DeadLetterView, deadLetterView, parsePromText, Readiness, readiness, sumOf } from '@spillway/ops';
import { DeadLetter, LaneDepth, pendingDeliveries, QueueDriver, withTimeout } from '@spillway/queue';
import { History, LaneSeries } from './history';

/** A side the console reads: its driver (opened once) and where its counters and readiness are. */
export interface ConsoleSide {
  name: string;
  driver: QueueDriver;
  url?: string;
  metrics: string[];
  /** What to start or check when the broker does not answer (libs/ops brokerHint). */
  hint?: string;
}

export interface SideLane {
  lane: Lane;
  depth: LaneDepth;
  oldestAgeSeconds: number | null;
  /** From the last two samples; see LaneSeries. */
  inPerSecond: number | null;
  outPerSecond: number | null;
  netPerSecond: number | null;
  deadLetters: DeadLetterView[];
}

export interface SideView {
  name: string;
  driver: string;
  /** Set when the broker could not be read within the side's timeout: the lanes are then empty. */
  unreachable?: string;
  lanes: SideLane[];
  readiness?: Readiness;
  /** The side's weight in deploy/traffic.json, when it has one. */
  weight?: number;
  /** Weight 0 with deliveries still pending: `left` of them, `change` over the last DRAIN_SAMPLES samples. */
  drain?: { left: number; change: number | null; overSeconds: number | null };
  /** 'counters': in/out from the side's /metrics; 'depth': only the net change of pending. */
  rateSource: 'counters' | 'depth';
  metricsProblem?: string;
  history: Record<Lane, LaneSeries>;
}

/** How the column's letters are read (the console's LetterLock); default: straight from the driver. */
export type LetterList = (lane: Lane, read: () => Promise<DeadLetter[]>) => Promise<DeadLetter[]>;

const errText = (err: unknown) => (err as Error).message || String(err);

/** Accepted and processed totals per lane, summed over the URLs (absorbers serve one, workers the other). */
export async function counterTotals(urls: string[], timeoutMs: number): Promise<Record<Lane, { accepted: number; processed: number }>> {
  const totals = Object.fromEntries(LANES.map((l) => [l, { accepted: 0, processed: 0 }])) as Record<Lane, { accepted: number; processed: number }>;
  await Promise.all(
    urls.map(async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      const samples = parsePromText(await res.text());
      for (const lane of LANES) {
        totals[lane].accepted += sumOf(samples, 'spillway_events_accepted_total', { lane }) ?? 0;
        totals[lane].processed += sumOf(samples, 'spillway_events_processed_total', { lane }) ?? 0;
      }
    }),
  );
  return totals;
}

/** One sample of a side into the history: depths, and counters when it has metrics URLs. Never throws. */
export async function sampleSide(side: ConsoleSide, history: History, timeoutMs: number): Promise<void> {
  const at = Date.now();
  const [depths, counters] = await Promise.all([
    withTimeout(Promise.all(LANES.map((l) => side.driver.depth(l))), timeoutMs, () => new Error('timed out')).catch(() => undefined),
    side.metrics.length ? counterTotals(side.metrics, timeoutMs).catch(() => undefined) : undefined,
  ]);
  LANES.forEach((lane, i) => {
    history.add(side.name, lane, {
      at,
      pending: depths ? pendingDeliveries(depths[i]) : null,
      accepted: counters ? counters[lane].accepted : null,
      processed: counters ? counters[lane].processed : null,
    });
  });
}

async function readLanes(side: ConsoleSide, deadLetterLimit: number, list?: LetterList): Promise<Array<Omit<SideLane, 'inPerSecond' | 'outPerSecond' | 'netPerSecond'>>> {
  return Promise.all(
    LANES.map(async (lane) => {
      const [depth, age] = await Promise.all([side.driver.depth(lane), side.driver.oldestAgeSeconds(lane)]);
      // Listing dead letters costs receives on SQS: only where the broker counts some.
      const letters = depth.deadLettered > 0 ? await (list ? list(lane, () => side.driver.deadLetters(lane, deadLetterLimit)) : side.driver.deadLetters(lane, deadLetterLimit)) : [];
      return {
        lane,
        depth,
        oldestAgeSeconds: age ?? null,
        deadLetters: letters.map(deadLetterView),
      };
    }),
  );
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

/** Samples back the drain's change is measured over: one minute at the default 10 s sampling. */
export const DRAIN_SAMPLES = 6;

/** The drain: pending now, and its change against the sample DRAIN_SAMPLES before the newest. */
function drainOf(history: Record<Lane, LaneSeries>, left: number): SideView['drain'] {
  const at = history.critical.at;
  const from = at.length - 1 - DRAIN_SAMPLES;
  const then = LANES.map((l) => history[l].pending[from]);
  if (from < 0 || then.some((p) => p === null || p === undefined)) return { left, change: null, overSeconds: null };
  const before = (then as number[]).reduce((a, b) => a + b, 0);
  return { left, change: left - before, overSeconds: Math.round((at[at.length - 1] - at[from]) / 1000) };
}

/**
 * One side's column, read fresh within `timeoutMs`: a side that fails or does not answer in time
 * comes back with `unreachable` set; this never rejects.
 */
export async function readSide(
  side: ConsoleSide,
  o: { history: History; timeoutMs: number; deadLetterLimit: number; weights?: Record<string, number>; letters?: LetterList },
): Promise<SideView> {
  const history = o.history.series(side.name);
  const [lanes, ready] = await Promise.all([
    withTimeout(readLanes(side, o.deadLetterLimit, o.letters), o.timeoutMs, () => new Error(`no answer within ${o.timeoutMs} ms`)).catch((err: unknown) => errText(err)),
    side.url ? readiness(side.url) : undefined,
  ]);
  const weight = o.weights?.[side.name];
  const view: SideView = {
    name: side.name,
    driver: side.driver.name,
    lanes: [],
    readiness: ready,
    weight,
    rateSource: side.metrics.length ? 'counters' : 'depth',
    history,
  };
  if (side.metrics.length && history.critical.at.length >= 2 && last(history.critical.inPerSecond) === null) {
    view.metricsProblem = 'no counters from the metrics URLs in the last two samples';
  }
  if (typeof lanes === 'string') {
    view.unreachable = side.hint ? `${lanes} (${side.hint})` : lanes;
    return view;
  }
  view.lanes = lanes.map((l) => ({
    ...l,
    inPerSecond: last(history[l.lane].inPerSecond) ?? null,
    outPerSecond: last(history[l.lane].outPerSecond) ?? null,
    netPerSecond: last(history[l.lane].netPerSecond) ?? null,
  }));
  const left = lanes.reduce((n, l) => n + pendingDeliveries(l.depth), 0);
  if (weight === 0 && left > 0) view.drain = drainOf(history, left);
  return view;
}

/** deploy/traffic.json as name -> weight (numbers only). */
export async function readWeights(file: string): Promise<Record<string, number> | { error: string }> {
  try {
    const t = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(t).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  } catch (err) {
    return { error: `cannot read ${file}: ${errText(err)}` };
  }
}

/** Events committed per lane in the last minute, from the ledger both sides' workers write. */
export async function ledgerRates(db: Pool, timeoutMs: number): Promise<Record<string, number>> {
  const { rows } = await withTimeout(
    db.query<{ lane: string; n: string }>(`SELECT lane, count(*) AS n FROM processed_events WHERE processed_at > now() - interval '60 seconds' GROUP BY lane`),
    timeoutMs,
    () => new Error(`Postgres: no answer within ${timeoutMs} ms`),
  );
  return Object.fromEntries(LANES.map((lane) => [lane, Number(rows.find((r) => r.lane === lane)?.n ?? 0) / 60]));
}
