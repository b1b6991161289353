import { createHash } from 'node:crypto';
import { orderingKey, QueuedEvent } from '../queue.port';

/** SQS's limit for one message and for one SendMessageBatch call (since 2025: 1 MiB). */
export const SQS_MAX_BYTES = 1024 * 1024;
/** Events per message: a failing delivery retries all of them, so keep the blast radius bounded. */
export const EVENTS_PER_MESSAGE = 100;
/** Room for the envelope and batch-entry overhead around the events. */
const ENVELOPE_BYTES = 1024;

/** What an SQS message body holds: the events, or where in S3 they are (claim check). */
export interface Envelope {
  events?: QueuedEvent[];
  /** `bytes`: the object's size (absent on claim checks written before it was recorded). */
  claim?: { bucket: string; key: string; bytes?: number };
  /** Only in dead-letter copies written by the driver. */
  lastError?: string;
  attempts?: number;
  failedAt?: string;
}

/** One message to send: its events, and on FIFO the group they share. */
export interface Pack {
  events: QueuedEvent[];
  groupId?: string;
  bytes: number;
}

const GROUP_ID_OK = /^[\x21-\x7e]{1,128}$/;

/** FIFO group of an event: its origin-scoped key (ordering is per key and origin), else its own id (no ordering promise). */
export function groupIdOf(event: QueuedEvent): string {
  const raw = orderingKey(event) ?? event.id;
  // SQS takes 1-128 printable ASCII characters; anything else is hashed so distinct keys stay distinct.
  return GROUP_ID_OK.test(raw) ? raw : `sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 64)}`;
}

/** Same events, same id: a resend within SQS's 5-minute window is dropped by the FIFO queue. */
export function dedupeIdOf(events: QueuedEvent[]): string {
  if (events.length === 1 && GROUP_ID_OK.test(events[0].id)) return events[0].id;
  return createHash('sha256').update(events.map((e) => e.id).join('\n')).digest('hex');
}

export function eventBytes(event: QueuedEvent): number {
  return Buffer.byteLength(JSON.stringify(event)) + 1;
}

/**
 * Packs events into messages of at most EVENTS_PER_MESSAGE and `maxBytes`, keeping send order.
 * With `byGroup` (FIFO) a message holds only events of one group, so packing never ties two keys'
 * orders together. An event too big for any message travels alone (the driver claim-checks it).
 */
export function packEvents(events: QueuedEvent[], byGroup: boolean, maxBytes = SQS_MAX_BYTES): Pack[] {
  const budget = maxBytes - ENVELOPE_BYTES;
  const open = new Map<string, Pack>();
  const packs: Pack[] = [];
  for (const event of events) {
    const groupId = byGroup ? groupIdOf(event) : undefined;
    const slot = groupId ?? '';
    const size = eventBytes(event);
    let pack = open.get(slot);
    if (!pack || pack.events.length >= EVENTS_PER_MESSAGE || pack.bytes + size > budget) {
      pack = { events: [], groupId, bytes: 0 };
      packs.push(pack);
      open.set(slot, pack);
    }
    pack.events.push(event);
    pack.bytes += size;
  }
  return packs;
}

/** Splits message bodies into SendMessageBatch calls: at most 10 entries and `maxBytes` per call. */
export function batchEntries<T extends { bytes: number }>(entries: T[], maxBytes = SQS_MAX_BYTES): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === 10 || (current.length > 0 && bytes + entry.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Seconds for SQS (which counts whole seconds), never below 0 nor above `cap`. */
export function toSeconds(ms: number, cap: number): number {
  return Math.min(cap, Math.max(0, Math.ceil(ms / 1000)));
}

/** SQS's longest visibility timeout (12 hours): a lease or a retry backoff longer than this is cut to it. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** A lease or a backoff as an SQS visibility timeout. */
export function visibilitySeconds(ms: number): number {
  return toSeconds(ms, MAX_VISIBILITY_SECONDS);
}
