import { readFile } from 'node:fs/promises';
import { Pool } from 'pg';
import { Lane, LANES } from '@spillway/config';
import { DeadLetter, LaneDepth, QueueDriver } from '@spillway/queue';
import { parsePromText, sumOf } from './prom-text';

/** The window of the out-rate: events committed per lane in the last minute, from the ledger. */
export const OUT_RATE_WINDOW_S = 60;
const PROBE_TIMEOUT_MS = 2000;

export interface DeadLetterView {
  id: string;
  events: number;
  eventIds: string[];
  attempts: number;
  failedAt: string;
  lastError: string;
  /** Only on a letter whose events are in S3 (SQS claim check), not read for the report: `events` is 0. */
  eventsInS3?: { bytes: number | null };
}

/** A dead letter as the report lists it: its first five event ids, not its payloads. */
export function deadLetterView(l: DeadLetter): DeadLetterView {
  return {
    id: l.id,
    events: l.events.length,
    eventIds: l.events.slice(0, 5).map((e) => e.id),
    attempts: l.attempts,
    failedAt: l.failedAt,
    lastError: l.lastError,
    ...(l.claim ? { eventsInS3: { bytes: l.claim.bytes ?? null } } : {}),
  };
}

export interface LaneView {
  lane: Lane;
  depth: LaneDepth;
  /** null: the broker cannot say (SQS: see docs/operations.md). */
  oldestAgeSeconds: number | null;
  /** Events/s accepted, from the absorbers' metrics; null when no metrics URL was given. */
  inPerSecond: number | null;
  /** Events/s committed over the last minute, from processed_events; null when Postgres is unreachable. */
  outPerSecond: number | null;
  deadLetters: DeadLetterView[];
}

export interface Readiness {
  url: string;
  ready: boolean;
  /** HTTP status, or what went wrong before there was one. */
  detail: string;
}

export interface Report {
  at: string;
  driver: string;
  lanes: LaneView[];
  traffic: { hetzner: number; eks: number } | { error: string };
  readiness: { hetzner?: Readiness; eks?: Readiness };
  /** Figures that could not be read, each with its reason. */
  problems: string[];
}

export interface ReportSources {
  driver: QueueDriver;
  /** Postgres for the out-rate (the ledger both targets share). */
  db?: Pool;
  trafficFile: string;
  hetznerUrl?: string;
  eksUrl?: string;
  /** The absorbers' `/metrics` URLs: the in-rate is the growth of spillway_events_accepted_total. */
  metricsUrls: string[];
  deadLetterLimit: number;
}

async function fetchWithTimeout(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
}

export async function readiness(base: string): Promise<Readiness> {
  const url = `${base.replace(/\/$/, '')}/health/ready`;
  try {
    const res = await fetchWithTimeout(url);
    return { url, ready: res.status === 200, detail: `HTTP ${res.status}` };
  } catch (err) {
    return { url, ready: false, detail: (err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message };
  }
}

/** Events accepted so far per lane, summed over every absorber URL given. */
export async function acceptedTotals(urls: string[]): Promise<{ at: number; byLane: Record<string, number> }> {
  const byLane: Record<string, number> = {};
  for (const url of urls) {
    const samples = parsePromText(await (await fetchWithTimeout(url)).text());
    for (const lane of LANES) byLane[lane] = (byLane[lane] ?? 0) + (sumOf(samples, 'spillway_events_accepted_total', { lane }) ?? 0);
  }
  return { at: Date.now(), byLane };
}

/** In-rate between two samples of the accepted counters; a restart (counter went down) gives null. */
export function inRates(before: Awaited<ReturnType<typeof acceptedTotals>>, after: Awaited<ReturnType<typeof acceptedTotals>>): Record<string, number | null> {
  const seconds = (after.at - before.at) / 1000;
  return Object.fromEntries(
    LANES.map((lane) => {
      const grew = (after.byLane[lane] ?? 0) - (before.byLane[lane] ?? 0);
      return [lane, seconds > 0 && grew >= 0 ? grew / seconds : null];
    }),
  );
}

async function outRates(db: Pool): Promise<Record<string, number>> {
  const { rows } = await db.query<{ lane: string; n: string }>(
    `SELECT lane, count(*) AS n FROM processed_events WHERE processed_at > now() - make_interval(secs => $1) GROUP BY lane`,
    [OUT_RATE_WINDOW_S],
  );
  return Object.fromEntries(rows.map((r) => [r.lane, Number(r.n) / OUT_RATE_WINDOW_S]));
}

async function readTraffic(file: string): Promise<Report['traffic']> {
  try {
    const t = JSON.parse(await readFile(file, 'utf8')) as { hetzner: number; eks: number };
    return { hetzner: t.hetzner, eks: t.eks };
  } catch (err) {
    return { error: `cannot read ${file}: ${(err as Error).message}` };
  }
}

/**
 * Everything an operator looks at, read fresh: the broker (depth, age, dead letters), the ledger
 * (out-rate), the deploy weights and both sides' readiness. A source that fails is named in
 * `problems` and its figures are null; only the broker is required.
 */
export async function buildReport(src: ReportSources, rates: Record<string, number | null> = {}): Promise<Report> {
  const problems: string[] = [];
  const out = src.db
    ? await outRates(src.db).catch((err) => {
        problems.push(`out-rate: Postgres unreachable (${(err as Error).message})`);
        return undefined;
      })
    : undefined;
  if (!src.metricsUrls.length) problems.push('in-rate: no absorber metrics URL given');
  const lanes: LaneView[] = [];
  for (const lane of LANES) {
    const [depth, age, letters] = await Promise.all([
      src.driver.depth(lane),
      src.driver.oldestAgeSeconds(lane),
      src.driver.deadLetters(lane, src.deadLetterLimit),
    ]);
    lanes.push({
      lane,
      depth,
      oldestAgeSeconds: age ?? null,
      inPerSecond: rates[lane] ?? null,
      outPerSecond: out ? (out[lane] ?? 0) : null,
      deadLetters: letters.map(deadLetterView),
    });
  }
  const [traffic, hetzner, eks] = await Promise.all([
    readTraffic(src.trafficFile),
    src.hetznerUrl ? readiness(src.hetznerUrl) : undefined,
    src.eksUrl ? readiness(src.eksUrl) : undefined,
  ]);
  if ('error' in traffic) problems.push(traffic.error);
  return { at: new Date().toISOString(), driver: src.driver.name, lanes, traffic, readiness: { hetzner, eks }, problems };
}
