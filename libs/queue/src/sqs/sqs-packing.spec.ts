import type { QueuedEvent } from '../queue.port';
import { batchEntries, dedupeIdOf, eventBytes, groupIdOf, packEvents, toSeconds, visibilitySeconds } from './sqs-packing';

const event = (id: string, key?: string, size = 10): QueuedEvent => ({
  id,
  type: 't',
  lane: 'critical',
  ...(key ? { key } : {}),
  data: { s: 'x'.repeat(size) },
  receivedAt: '2026-01-01T00:00:00.000Z',
});

describe('SQS packing', () => {
  it('on FIFO puts only events of one group in a message, keeping send order', () => {
    const packs = packEvents([event('1', 'a'), event('2', 'b'), event('3', 'a'), event('4')], true);
    expect(packs.map((p) => [p.groupId, p.events.map((e) => e.id)])).toEqual([
      ['a', ['1', '3']],
      ['b', ['2']],
      ['4', ['4']], // no key: its own id, never one global group
    ]);
  });

  it('on Standard packs by count and size only', () => {
    const many = Array.from({ length: 250 }, (_, i) => event(String(i)));
    expect(packEvents(many, false).map((p) => p.events.length)).toEqual([100, 100, 50]);
    const big = Array.from({ length: 5 }, (_, i) => event(String(i), undefined, 300_000));
    expect(packEvents(big, false).map((p) => p.events.length)).toEqual([3, 2]);
    expect(packEvents([event('huge', undefined, 2_000_000)], false)).toHaveLength(1); // alone, for the claim check
  });

  it('splits send batches at 10 entries or 1 MiB', () => {
    const small = Array.from({ length: 25 }, () => ({ bytes: 100 }));
    expect(batchEntries(small).map((b) => b.length)).toEqual([10, 10, 5]);
    const large = Array.from({ length: 5 }, () => ({ bytes: 400_000 }));
    expect(batchEntries(large).map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('makes SQS-legal group and dedupe ids', () => {
    expect(groupIdOf(event('1', 'order-42'))).toBe('order-42');
    expect(groupIdOf(event('1', 'key with spaces'))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(groupIdOf(event('1', 'é'))).not.toBe(groupIdOf(event('1', 'è')));
    expect(dedupeIdOf([event('abc')])).toBe('abc');
    expect(dedupeIdOf([event('a'), event('b')])).toMatch(/^[0-9a-f]{64}$/);
    expect(dedupeIdOf([event('a'), event('b')])).not.toBe(dedupeIdOf([event('b'), event('a')]));
    // Ids are joined with a separator: two different sets of ids never share a dedupe id (FIFO
    // would drop the second message as a repeat of the first).
    expect(dedupeIdOf([event('ab'), event('c')])).not.toBe(dedupeIdOf([event('a'), event('bc')]));
  });

  it('groups by the key within its origin: one key from two origins is two groups, one origin keeps one group', () => {
    const from = (kind: 'source' | 'tenant', name: string, id: string): QueuedEvent => ({ ...event(id, 'acme/api'), origin: { kind, name } });
    expect(groupIdOf(from('source', 'gh', '1'))).toBe('source:gh/acme/api');
    expect(groupIdOf(from('tenant', '3f2a', '2'))).toBe('tenant:3f2a/acme/api');
    expect(groupIdOf(from('source', 'gh', '3'))).toBe(groupIdOf(from('source', 'gh', '4')));
    expect(groupIdOf(event('5', 'acme/api'))).toBe('acme/api');
  });

  it('fills a message up to its budget exactly (maxBytes less 1 KiB of envelope room), and never past it', () => {
    const maxBytes = 10 * 1024;
    const budget = maxBytes - 1024;
    const one = eventBytes(event('x', undefined, 0));
    // Events whose sizes add up to the budget exactly: one message.
    const sized = (bytes: number, id: string) => event(id, undefined, bytes - one);
    const exact = [sized(budget - 4000, 'a'), sized(4000, 'b')];
    expect(exact.reduce((n, e) => n + eventBytes(e), 0)).toBe(budget);
    expect(packEvents(exact, false, maxBytes).map((p) => p.events.length)).toEqual([2]);
    // One byte more: two messages, each within the budget.
    const over = [sized(budget - 4000, 'a'), sized(4001, 'b')];
    const packs = packEvents(over, false, maxBytes);
    expect(packs.map((p) => p.events.length)).toEqual([1, 1]);
    expect(packs.every((p) => p.bytes <= budget)).toBe(true);
  });

  it('sends no empty batch: none for no entries, none before an entry bigger than a whole call; a call filled to its limit exactly', () => {
    expect(batchEntries([])).toEqual([]);
    expect(batchEntries([{ bytes: 2_000_000 }, { bytes: 10 }]).map((b) => b.length)).toEqual([1, 1]);
    expect(batchEntries([{ bytes: 600 }, { bytes: 400 }, { bytes: 1 }], 1000).map((b) => b.length)).toEqual([2, 1]);
  });

  it('rounds delays up to whole seconds within the cap (SQS visibility: 12 hours)', () => {
    expect(toSeconds(50, 900)).toBe(1);
    expect(toSeconds(3_600_000, 900)).toBe(900);
    expect(toSeconds(-5, 900)).toBe(0);
    expect(visibilitySeconds(13 * 3_600_000)).toBe(43_200);
  });
});
