import { checkEvent, checkIdempotencyKey, MAX_DATA_DEPTH } from './event-validator';
import { idempotentEventId, newEventId } from './event-ids';

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('checkEvent', () => {
  it('accepts a minimal and a full event', () => {
    expect(checkEvent({ type: 'order.created', data: {} })).toEqual({ ok: true, event: { type: 'order.created', data: {} } });
    const full = checkEvent({ type: 'a:b-c_d', data: { x: [1] }, priority: 'low', key: 'customer-1' });
    expect(full).toEqual({ ok: true, event: { type: 'a:b-c_d', data: { x: [1] }, priority: 'low', key: 'customer-1' } });
  });

  it.each([
    [[], 'body must be a JSON object'],
    [null, 'body must be a JSON object'],
    [{ data: {} }, 'type: required, must be a string'],
    [{ type: 5, data: {} }, 'type: required, must be a string'],
    [{ type: '', data: {} }, 'type: 1-200 characters'],
    [{ type: 'x'.repeat(201), data: {} }, 'type: 1-200 characters'],
    [{ type: 'has space', data: {} }, 'type: 1-200 characters'],
    [{ type: 'x' }, 'data: required, must be a JSON object'],
    [{ type: 'x', data: [1] }, 'data: required, must be a JSON object'],
    [{ type: 'x', data: 'str' }, 'data: required, must be a JSON object'],
    [{ type: 'x', data: {}, priority: 'urgent' }, 'priority: must be one of critical, normal, low'],
    [{ type: 'x', data: {}, key: '' }, 'key: must be a string of 1-256 characters'],
    [{ type: 'x', data: {}, key: 7 }, 'key: must be a string of 1-256 characters'],
    [{ type: 'x', data: {}, extra: 1 }, 'extra: unknown field'],
    [{ type: 'x', data: nested(MAX_DATA_DEPTH + 1) }, 'data: nested deeper than 32 levels'],
  ])('refuses %j naming the problem', (body, message) => {
    const checked = checkEvent(body);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.error).toContain(message);
  });

  it('allows data exactly at the depth limit', () => {
    expect(checkEvent({ type: 'x', data: nested(MAX_DATA_DEPTH) }).ok).toBe(true);
  });

  it('counts arrays as levels too', () => {
    const arrays = (depth: number): unknown => (depth === 0 ? [] : [1, arrays(depth - 1)]);
    expect(checkEvent({ type: 'x', data: { a: arrays(MAX_DATA_DEPTH - 1) } }).ok).toBe(true);
    const deep = checkEvent({ type: 'x', data: { a: 'flat', b: arrays(MAX_DATA_DEPTH) } });
    expect(!deep.ok && deep.error).toBe('data: nested deeper than 32 levels');
  });

  it('prefixes errors with the position in a batch', () => {
    const checked = checkEvent({ type: 'x' }, 'events[3].');
    expect(!checked.ok && checked.error).toBe('events[3].data: required, must be a JSON object');
  });
});

describe('checkIdempotencyKey', () => {
  it('accepts printable keys and refuses others', () => {
    expect(checkIdempotencyKey(undefined)).toBeUndefined();
    expect(checkIdempotencyKey('order-42')).toBe('order-42');
    expect(() => checkIdempotencyKey('has space')).toThrow(/Idempotency-Key/);
    expect(() => checkIdempotencyKey('x'.repeat(256))).toThrow(/1-255/);
  });
});

describe('event ids', () => {
  it('are time-ordered UUIDv7 strings', () => {
    const a = newEventId(1_000_000);
    const b = newEventId(2_000_000);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(newEventId()).not.toBe(newEventId());
  });

  it('stay unique and well-formed across refills of the entropy pool (256 ids per refill)', () => {
    const ids = Array.from({ length: 2000 }, () => newEventId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^018bcfe5-6800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('derive the same id from the same tenant and key, and differ otherwise', () => {
    expect(idempotentEventId('t1', 'k')).toBe(idempotentEventId('t1', 'k'));
    expect(idempotentEventId('t1', 'k')).not.toBe(idempotentEventId('t2', 'k'));
    expect(idempotentEventId('t1', 'k', 0)).not.toBe(idempotentEventId('t1', 'k', 1));
    expect(idempotentEventId('t1', 'k')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8/);
  });
});
