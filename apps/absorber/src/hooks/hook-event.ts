import { createHash } from 'node:crypto';
import type { WebhookSource } from '@spillway/config';
import type { EventInput } from '../ingest/event-validator';
import { MAX_DATA_DEPTH, MAX_KEY_LENGTH } from '../ingest/event-validator';
import { idempotentEventId } from '../ingest/event-ids';
import { firstUnstorable, unstorable } from '../ingest/storable-strings';
import { DerivedEvent, HookPayloadError, HookRequest } from './provider';
import { digestId } from './signing';

/** What the event's `data` holds: handlers read `payload`; `raw` is the exact bytes that were signed. */
export interface HookEventData {
  source: string;
  provider: string;
  payload: Record<string, unknown>;
  headers: Record<string, string>;
  /** The body as sent: UTF-8 text when it is storable text (every JSON or form body), else base64. */
  raw: string;
  rawEncoding: 'utf8' | 'base64';
}

/** `orders/create` -> `orders.create`; anything an event type cannot hold becomes `_`. */
function typeOf(source: string, derived: string): string {
  const cleaned = derived.replace(/\//g, '.').replace(/[^A-Za-z0-9_.:-]/g, '_').replace(/^[._:-]+/, '');
  return `${source}.${cleaned || 'unknown'}`.slice(0, 200);
}

function depthOver(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit < 0) return true;
  for (const child of Object.values(value)) if (depthOver(child, limit - 1)) return true;
  return false;
}

function rawOf(raw: Buffer): Pick<HookEventData, 'raw' | 'rawEncoding'> {
  const text = raw.toString('utf8');
  // Text that round-trips and Postgres can store travels as is (smaller than base64 by a third).
  if (!unstorable(text) && Buffer.byteLength(text) === raw.length && Buffer.from(text, 'utf8').equals(raw)) return { raw: text, rawEncoding: 'utf8' };
  return { raw: raw.toString('base64'), rawEncoding: 'base64' };
}

/**
 * The queued event of one verified request. Its id derives from the source and the delivery's
 * identity (no window, no generation): an id the sender signs (Stripe, Standard Webhooks, Slack,
 * a generic body's `id`), else the digest of what the signature covers. A retry days later, or a
 * replay with other unsigned headers, maps to the same id, and the worker's ledger applies it once.
 */
export function hookEvent(source: WebhookSource, request: HookRequest, derived: DerivedEvent, keptHeaders: readonly string[]): EventInput & { id: string } {
  if (depthOver(derived.payload, MAX_DATA_DEPTH)) throw new HookPayloadError(`body: nested deeper than ${MAX_DATA_DEPTH} levels`);
  const problem = firstUnstorable(derived.payload, 'body');
  if (problem) throw new HookPayloadError(problem);
  const headers: Record<string, string> = {};
  for (const name of keptHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const deliveryId = derived.deliveryId || digestId(request.raw);
  let key = derived.key;
  if (key !== undefined && (key.length > MAX_KEY_LENGTH || unstorable(key))) key = createHash('sha256').update(key).digest('hex');
  const data: HookEventData = { source: source.name, provider: source.provider, payload: derived.payload, headers, ...rawOf(request.raw) };
  return {
    id: idempotentEventId(`hook:${source.name}`, deliveryId),
    type: typeOf(source.name, derived.type),
    data: data as unknown as Record<string, unknown>,
    key,
  };
}
