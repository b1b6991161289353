import type { Lane } from '@spillway/config';
import { DeadLetter, orderingKey, QueuedEvent, QueueDriver, wholeLetter } from '@spillway/queue/queue.port';

/**
 * What an operator asks for among dead letters. Every field given must hold: `lane`, `grep`
 * (case-insensitive text in the last error) and `since` (failed at or after) are the letter's;
 * `type` (a glob: `*` any run of characters, `?` one) and `key` (the client's key, or the
 * origin-scoped ordering key) must hold for one same event of the letter.
 */
export interface LetterFilter {
  lane?: Lane;
  type?: string;
  grep?: string;
  key?: string;
  since?: Date;
}

/** `order.*` -> /^order\..*$/: the whole type must match. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function eventMatches(event: QueuedEvent, type: RegExp | undefined, key: string | undefined): boolean {
  if (type && !type.test(event.type)) return false;
  if (key !== undefined) {
    if (event.key !== key && orderingKey(event) !== key) return false;
  }
  return true;
}

/** A predicate for `filter`, built once (the glob compiled once for a long list). */
export function letterMatcher(filter: LetterFilter): (letter: DeadLetter) => boolean {
  const type = filter.type !== undefined ? globToRegExp(filter.type) : undefined;
  const grep = filter.grep?.toLowerCase();
  const since = filter.since?.getTime();
  return (letter) => {
    if (filter.lane && letter.lane !== filter.lane) return false;
    if (grep !== undefined && !letter.lastError.toLowerCase().includes(grep)) return false;
    if (since !== undefined && !(Date.parse(letter.failedAt) >= since)) return false;
    if (!type && filter.key === undefined) return true;
    return letter.events.some((e) => eventMatches(e, type, filter.key));
  };
}

/** An ISO time (`2026-12-06`, `2026-12-06T10:00:00Z`) as a Date; undefined for anything else. */
export function parseSince(text: string): Date | undefined {
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text)) ? new Date(text) : undefined;
}

/** True when the filter narrows anything beyond the lane. */
export function filters(filter: LetterFilter): boolean {
  return filter.type !== undefined || filter.grep !== undefined || filter.key !== undefined || filter.since !== undefined;
}

/** `--type 'order.*' --key k1`: the filter as the flags that give it, for prompts and summaries. */
export function filterText(filter: LetterFilter): string {
  const parts: string[] = [];
  if (filter.lane) parts.push(`--lane ${filter.lane}`);
  if (filter.type !== undefined) parts.push(`--type ${JSON.stringify(filter.type)}`);
  if (filter.grep !== undefined) parts.push(`--grep ${JSON.stringify(filter.grep)}`);
  if (filter.key !== undefined) parts.push(`--key ${JSON.stringify(filter.key)}`);
  if (filter.since) parts.push(`--since ${filter.since.toISOString()}`);
  return parts.length ? parts.join(' ') : 'no filter';
}

/** One dead letter as `queue:redrive --json` prints it, one object a line. */
export interface LetterLine {
  lane: Lane;
  id: string;
  attempts: number;
  failedAt: string;
  lastError: string;
  events: Array<{ id: string; type: string; key: string | null }>;
  /** Only on a letter whose events are in S3 (SQS claim check) and were not read: `events` is empty. */
  eventsInS3?: { bytes: number | null };
}

/** `events in S3 (1100042 bytes)`: a claim-checked letter's events, said without reading them. */
export function inS3Text(s: { bytes: number | null }): string {
  return `events in S3 (${s.bytes === null ? 'size not recorded' : `${s.bytes} bytes`})`;
}

export function letterLine(letter: DeadLetter): LetterLine {
  return {
    lane: letter.lane,
    id: letter.id,
    attempts: letter.attempts,
    failedAt: letter.failedAt,
    lastError: letter.lastError,
    events: letter.events.map((e) => ({ id: e.id, type: e.type, key: e.key ?? null })),
    ...(letter.claim ? { eventsInS3: { bytes: letter.claim.bytes ?? null } } : {}),
  };
}

/** One lane's letters looked at for a filter. */
export interface LaneFind {
  lane: Lane;
  /** Letters read from the broker (on SQS: received, then made visible again); at most `max`. */
  lookedAt: number;
  matching: DeadLetter[];
  /** What the broker counts as dead-lettered on the lane (approximate on SQS). */
  counted: number;
}

/**
 * Reads up to `max` of the lane's dead letters and keeps those `filter` matches: no broker
 * filters server-side, and SQS has no peek (a bounded receive), so `lookedAt` says how far it read.
 * Payloads kept apart (SQS claim checks in S3) are read only for a `type` or `key` filter, and only
 * for the letters its other fields (grep, since) let through, one at a time.
 */
export async function findLetters(driver: QueueDriver, lane: Lane, filter: LetterFilter, max: number): Promise<LaneFind> {
  const letters = await driver.deadLetters(lane, max);
  const counted = (await driver.depth(lane)).deadLettered;
  const matches = letterMatcher(filter);
  const needsEvents = filter.type !== undefined || filter.key !== undefined;
  const rest = letterMatcher({ ...filter, type: undefined, key: undefined });
  const matching: DeadLetter[] = [];
  for (const l of letters) {
    const seen = needsEvents && l.claim && rest(l) ? await wholeLetter(driver, l) : l;
    if (matches(seen)) matching.push(seen);
  }
  return { lane, lookedAt: letters.length, matching, counted };
}
