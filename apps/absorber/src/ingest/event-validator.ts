import { isLane, Lane, LANES } from '@spillway/config';
import { firstUnstorable, unstorable } from './storable-strings';

export interface EventInput {
  type: string;
  data: Record<string, unknown>;
  priority?: Lane;
  key?: string;
  /** Set only by the hooks route (from the sender's delivery id); checkEvent never sets it. */
  id?: string;
}

export type Checked = { ok: true; event: EventInput } | { ok: false; error: string };

const TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const ALLOWED_FIELDS = new Set(['type', 'data', 'priority', 'key']);
export const MAX_DATA_DEPTH = 32;
export const MAX_KEY_LENGTH = 256;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when an object or array sits deeper than `limit` levels below `value` (which is level 0).
 * Depth-first and allocation-free: a per-level array of children showed in the batch route's
 * profile (it runs for every event). Recursion is bounded by `limit` + 1 frames.
 */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit < 0) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (nestedDeeperThan(child, limit - 1)) return true;
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) if (nestedDeeperThan(record[key], limit - 1)) return true;
  }
  return false;
}

/**
 * Hand-written rather than a generic schema library: it runs on every request, and each error
 * names the field (and, in a batch, the index) so a sender can fix its payload without guessing.
 */
export function checkEvent(body: unknown, where = ''): Checked {
  if (!isPlainObject(body)) return { ok: false, error: `${where || 'body'} must be a JSON object` };
  for (const field in body) {
    if (!ALLOWED_FIELDS.has(field)) return { ok: false, error: `${where}${field}: unknown field (allowed: type, data, priority, key)` };
  }
  const { type, data, priority, key } = body;
  if (typeof type !== 'string') return { ok: false, error: `${where}type: required, must be a string` };
  if (!TYPE_PATTERN.test(type)) {
    return { ok: false, error: `${where}type: 1-200 characters of letters, digits, _ . : - (starting with a letter or digit)` };
  }
  if (!isPlainObject(data)) return { ok: false, error: `${where}data: required, must be a JSON object` };
  if (nestedDeeperThan(data, MAX_DATA_DEPTH)) return { ok: false, error: `${where}data: nested deeper than ${MAX_DATA_DEPTH} levels` };
  if (priority !== undefined && !isLane(priority)) {
    return { ok: false, error: `${where}priority: must be one of ${LANES.join(', ')}` };
  }
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    return { ok: false, error: `${where}key: must be a string of 1-${MAX_KEY_LENGTH} characters` };
  }
  const keyProblem = key === undefined ? undefined : unstorable(key as string);
  if (keyProblem) return { ok: false, error: `${where}key: ${keyProblem}` };
  const dataProblem = firstUnstorable(data, `${where}data`);
  if (dataProblem) return { ok: false, error: dataProblem };
  return { ok: true, event: { type, data, priority: priority as Lane | undefined, key: key as string | undefined } };
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function checkIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new Error('Idempotency-Key: must be 1-255 printable ASCII characters without spaces');
  }
  return value;
}
