import { IncomingMessage } from 'node:http';
import { Pool } from 'pg';
import { isLane, Lane, LANES } from '@spillway/config';
import { filters, filterText, findLetters, LaneFind, LetterFilter, letterLine, parseSince, traceEvent, traceText } from '@spillway/ops';
import { DeadLetter, QueuedEvent, wholeLetter, withTimeout } from '@spillway/queue';
import { HttpError, jsonBody } from './http';
import { LetterLock } from './letter-lock';
import { ConsoleSide } from './side-report';

/** Characters of a pretty-printed payload shown before "show all". */
export const PAYLOAD_PREVIEW_CHARS = 4096;
/** Letters looked at per lane unless `max` says otherwise (each one received on SQS). */
export const DEFAULT_LOOK = 1000;
const MOST_LOOK = 100_000;
const FILTER_KEYS = ['type', 'grep', 'key', 'since'] as const;

export interface LettersOptions {
  sides: Map<string, ConsoleSide>;
  db?: Pool;
  lock: LetterLock;
  /** Listing, acting and tracing give up after this long (they read every letter, SQS by receiving). */
  timeoutMs: number;
}

/** `critical`, or `all` for every lane; anything else is a 404 naming the lanes. */
function lanesOf(lane: string): Lane[] {
  if (lane === 'all') return [...LANES];
  if (!isLane(lane)) throw new HttpError(404, `unknown lane "${lane}" (lanes: ${LANES.join(', ')}, all)`);
  return [lane];
}

/** The filter from query parameters or a body's `filter` object: the CLI's flags, the same meaning. */
export function parseFilter(get: (k: string) => unknown, where: string): LetterFilter {
  const filter: LetterFilter = {};
  for (const k of FILTER_KEYS) {
    const v = get(k);
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new HttpError(400, `${where}${k}: must be a string`);
    if (k === 'since') filter.since = parseSince(v) ?? badSince(where, v);
    else filter[k] = v;
  }
  return filter;
}

function badSince(where: string, v: string): never {
  throw new HttpError(400, `${where}since: "${v}" is not an ISO time (2026-12-06T10:00:00Z)`);
}

function parseMax(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_LOOK;
  if (!/^[1-9]\d*$/.test(raw) || Number(raw) > MOST_LOOK) throw new HttpError(400, `max: "${raw}" is not a whole number from 1 to ${MOST_LOOK}`);
  return Number(raw);
}

/** `--lane all --type "order.*"`: what the page's confirmation and the answers name. */
const described = (lane: string, filter: LetterFilter) => [`--lane ${lane}`, ...(filters(filter) ? [filterText(filter)] : [])].join(' ');

/** A payload pretty-printed, cut at PAYLOAD_PREVIEW_CHARS unless `whole`. */
function payloadOf(e: QueuedEvent, whole: boolean) {
  const text = JSON.stringify(e.data, null, 2) ?? 'null';
  const truncated = !whole && text.length > PAYLOAD_PREVIEW_CHARS;
  return { chars: text.length, truncated, payload: truncated ? text.slice(0, PAYLOAD_PREVIEW_CHARS) : text };
}

export function lettersApi(o: LettersOptions) {
  const sideOf = (name: string) => {
    const side = o.sides.get(name);
    if (!side) throw new HttpError(404, `unknown side "${name}" (sides: ${[...o.sides.keys()].join(', ')})`);
    return side;
  };
  /** The side's letters to itself while `work` runs, which gives up (504) after the timeout. */
  const bounded = <T>(side: ConsoleSide, work: () => Promise<T>) =>
    withTimeout(o.lock.run(side.name, work), o.timeoutMs, () => new HttpError(504, `side ${side.name}: no answer within ${o.timeoutMs} ms`));

  /** Lane after lane (each SQS read is a run of receives; one at a time keeps them bounded). */
  const findAll = async (side: ConsoleSide, lanes: Lane[], filter: LetterFilter, max: number) => {
    const found: LaneFind[] = [];
    for (const lane of lanes) found.push(await findLetters(side.driver, lane, filter, max));
    return found;
  };

  const summary = (found: LaneFind[], max: number) =>
    found.map((f) => ({ lane: f.lane, lookedAt: f.lookedAt, matching: f.matching.length, counted: f.counted, stoppedAtMax: f.lookedAt >= max }));

  /** GET .../lanes/<lane|all>/letters?type=&grep=&key=&since=&max= */
  async function list(sideName: string, lane: string, query: URLSearchParams) {
    const side = sideOf(sideName);
    const lanes = lanesOf(lane);
    for (const k of query.keys()) if (![...FILTER_KEYS, 'max'].includes(k as never)) throw new HttpError(400, `unknown parameter "${k}" (type, grep, key, since, max)`);
    const filter = parseFilter((k) => query.get(k) ?? undefined, '');
    const max = parseMax(query.get('max'));
    const found = await bounded(side, () => findAll(side, lanes, filter, max));
    return {
      side: side.name,
      driver: side.driver.name,
      lane,
      filter: described(lane, filter),
      max,
      lookedAt: found.reduce((n, f) => n + f.lookedAt, 0),
      lanes: summary(found, max),
      letters: found.flatMap((f) => f.matching.map(letterLine)),
    };
  }

  /** The letter by id, its claim-checked payload (SQS: S3) read for it alone. */
  async function oneLetter(side: ConsoleSide, lane: string, id: string): Promise<DeadLetter> {
    const [l] = lanesOf(lane);
    if (lane === 'all') throw new HttpError(404, 'a letter is read on its own lane, not "all"');
    return bounded(side, async () => {
      const found = await side.driver.deadLetters(l, MOST_LOOK);
      const letter = found.find((d) => d.id === id);
      if (!letter) throw new HttpError(404, `no dead letter "${id}" on ${side.name}/${l} (looked at ${found.length}): redriven, discarded, or a wrong id`);
      return wholeLetter(side.driver, letter);
    });
  }

  /** GET .../lanes/<lane>/letters/<id>: its attempts, error and events, payloads cut to a preview. */
  async function letter(sideName: string, lane: string, id: string) {
    const side = sideOf(sideName);
    const l = await oneLetter(side, lane, id);
    return {
      side: side.name,
      ...letterLine(l),
      events: l.events.map((e) => ({ id: e.id, type: e.type, key: e.key ?? null, origin: e.origin ?? null, receivedAt: e.receivedAt, ...payloadOf(e, false) })),
    };
  }

  /** GET .../lanes/<lane>/letters/<id>/events/<eventId>: one event's whole payload. */
  async function payload(sideName: string, lane: string, id: string, eventId: string) {
    const side = sideOf(sideName);
    const e = (await oneLetter(side, lane, id)).events.find((x) => x.id === eventId);
    if (!e) throw new HttpError(404, `dead letter "${id}" holds no event "${eventId}"`);
    return { side: side.name, letter: id, event: e.id, ...payloadOf(e, true) };
  }

  /**
   * POST .../lanes/<lane|all>/<redrive|discard>, body `{confirm: "<side>/<lane>"}` plus either
   * `ids` (one letter or a selection, on one lane), or `filter` (everything it matches, with
   * `expect`: the count the operator confirmed; a different count now is a 409), or neither (the
   * whole lane, or every lane for `all`).
   */
  async function act(req: IncomingMessage, sideName: string, lane: string, action: 'redrive' | 'discard') {
    const side = sideOf(sideName);
    const lanes = lanesOf(lane);
    const body = await jsonBody(req);
    const what = `${side.name}/${lane}`;
    if (body.confirm !== what) throw new HttpError(400, `confirm: must be "${what}", the side and lane acted on`);
    const { ids, filter: rawFilter, expect } = body;
    const apply = (l: Lane, chosen?: string[]) => (action === 'redrive' ? side.driver.redrive(l, chosen) : side.driver.discardDeadLetters(l, chosen));
    const answer = (done: number, extra: Record<string, unknown> = {}) => ({ side: side.name, lane, [action === 'redrive' ? 'moved' : 'removed']: done, ...extra });

    if (ids !== undefined) {
      if (rawFilter !== undefined) throw new HttpError(400, 'give ids or filter, not both');
      if (!Array.isArray(ids) || !ids.length || !ids.every((i) => typeof i === 'string')) throw new HttpError(400, 'ids: must be a non-empty array of dead-letter ids');
      if (lane === 'all') throw new HttpError(400, 'ids: name the letters\' lane in the path, not "all" (a letter id is per lane)');
      const done = await bounded(side, () => apply(lanes[0], ids as string[]));
      return answer(done, { asked: ids.length });
    }
    if (rawFilter === undefined) {
      const done = await bounded(side, async () => {
        let n = 0;
        for (const l of lanes) n += await apply(l);
        return n;
      });
      return answer(done);
    }
    if (typeof rawFilter !== 'object' || rawFilter === null || Array.isArray(rawFilter)) throw new HttpError(400, 'filter: must be an object (type, grep, key, since)');
    const unknown = Object.keys(rawFilter).filter((k) => !FILTER_KEYS.includes(k as never));
    if (unknown.length) throw new HttpError(400, `filter: unknown key "${unknown[0]}" (type, grep, key, since)`);
    const filter = parseFilter((k) => (rawFilter as Record<string, unknown>)[k], 'filter.');
    if (!filters(filter)) throw new HttpError(400, 'filter: empty; to act on every letter of the lane send no filter');
    if (typeof expect !== 'number' || !Number.isInteger(expect) || expect < 1) throw new HttpError(400, 'expect: must be the number of letters the operator confirmed (1 or more)');
    const max = parseMax(body.max === undefined ? null : String(body.max));
    // Found and acted on under one hold of the side: nothing reads its letters in between.
    const { done, matched, lookedAt } = await bounded(side, async () => {
      const found = await findAll(side, lanes, filter, max);
      const count = found.reduce((n, f) => n + f.matching.length, 0);
      if (count !== expect) throw new HttpError(409, `${described(lane, filter)} now matches ${count} letter(s), not the ${expect} confirmed: find again and confirm the new count`);
      let n = 0;
      for (const f of found) if (f.matching.length) n += await apply(f.lane, f.matching.map((d) => d.id));
      return { done: n, matched: count, lookedAt: found.reduce((k, f) => k + f.lookedAt, 0) };
    });
    return answer(done, { matched, filter: described(lane, filter), lookedAt });
  }

  /** GET /api/sides/<side>/events/<id>: where the event is now, as seen from this side's broker and the ledger. */
  async function trace(sideName: string, id: string) {
    const side = sideOf(sideName);
    if (!o.db) throw new HttpError(503, 'no ledger to read: the console runs without a reachable DATABASE_URL');
    if (!id.trim() || id.length > 200) throw new HttpError(400, 'event id: must be 1-200 characters');
    const db = o.db;
    const t = await bounded(side, () => traceEvent(id, side.driver, db));
    return { side: side.name, ...t, text: traceText(t).trim() };
  }

  return { list, letter, payload, act, trace };
}
