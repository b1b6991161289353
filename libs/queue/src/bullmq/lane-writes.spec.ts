import { EnqueueError } from '../enqueue-outcome';
import { BrokerUnavailableError } from '../errors';
import type { HeldMark } from '../idempotency/held-mark';
import type { QueuedEvent } from '../queue.port';
import { LaneWrites } from './lane-writes';

// The write is a function the test answers by hand: which write is in flight, and when it answers,
// is the behaviour under test, and a live Redis cannot be held mid-write on cue. The real-Redis
// case (one job for what waited) is in test/enqueue-batcher.test.ts.
const event = (id: string): QueuedEvent => ({ id, type: 't', lane: 'normal', data: {}, receivedAt: '2026-12-07T00:00:00.000Z' });

function manualWrites() {
  const calls: Array<{ ids: string[]; answer: (err?: unknown) => void }> = [];
  const write = (_lane: string, events: QueuedEvent[]) =>
    new Promise<void>((resolve, reject) => calls.push({ ids: events.map((e) => e.id), answer: (err) => (err ? reject(err) : resolve()) }));
  return { calls, write };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('LaneWrites: one write per lane in flight, what waits goes out together', () => {
  it('writes the first enqueue at once, and everything that arrived meanwhile as one write after it', async () => {
    const { calls, write } = manualWrites();
    const writes = new LaneWrites(write, 1000);
    const first = writes.enqueue('normal', [event('a')]);
    const second = writes.enqueue('normal', [event('b')]);
    const third = writes.enqueue('normal', [event('c'), event('d')]);
    const otherLane = writes.enqueue('low', [event('x')]);
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['x']]);
    calls[0].answer();
    await first;
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['x'], ['b', 'c', 'd']]);
    calls[2].answer();
    calls[1].answer();
    await expect(Promise.all([second, third, otherLane])).resolves.toEqual([undefined, undefined, undefined]);
  });

  it('each caller learns its own events fate from the shared write', async () => {
    const { calls, write } = manualWrites();
    const writes = new LaneWrites(write, 1000);
    const first = writes.enqueue('normal', [event('a')]);
    const held = writes.enqueue('normal', [event('b')]);
    const unknown = writes.enqueue('normal', [event('c')]);
    calls[0].answer();
    await first;
    await tick();
    calls[1].answer(new EnqueueError('one job timed out', new Set(['b']), new Set(['c'])));
    await expect(held).resolves.toBeUndefined();
    await expect(unknown).rejects.toThrow('one job timed out');
  });

  it('refuses, unwritten, what waited longer than the stale time behind a slow write', async () => {
    const { calls, write } = manualWrites();
    let now = 0;
    const writes = new LaneWrites(write, 1000, () => now);
    const slow = writes.enqueue('normal', [event('a')]);
    const waited = writes.enqueue('normal', [event('b')]);
    now = 1500;
    const fresh = writes.enqueue('normal', [event('c')]);
    calls[0].answer();
    await slow;
    await expect(waited).rejects.toThrow(BrokerUnavailableError);
    await expect(waited).rejects.toThrow('waited over 1000 ms behind a slow Redis write; nothing of it was written');
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['c']]);
    calls[1].answer();
    await expect(fresh).resolves.toBeUndefined();
  });

  it('hands the write the held marks of every caller in its group, and none of a caller refused as stale', async () => {
    const marksSeen: Array<string[] | undefined> = [];
    const answers: Array<() => void> = [];
    let now = 0;
    const write = (_lane: string, _events: QueuedEvent[], marks: readonly HeldMark[] | undefined) => {
      marksSeen.push(marks?.map((m) => m.record));
      return new Promise<void>((resolve) => answers.push(resolve));
    };
    const writes = new LaneWrites(write, 1000, () => now);
    const mark = (record: string, e: QueuedEvent): HeldMark => ({ record, generation: 1, events: [e], marked: false });
    const a = event('a');
    const first = writes.enqueue('normal', [a], [mark('ra', a)]);
    const b = event('b');
    const stale = writes.enqueue('normal', [b], [mark('rb', b)]).catch((err: unknown) => err);
    now = 2000;
    const c = event('c');
    const d = event('d');
    const second = writes.enqueue('normal', [c], [mark('rc', c)]);
    const unmarked = writes.enqueue('normal', [d]);
    answers[0]();
    await first;
    await tick();
    answers[1]();
    await Promise.all([second, unmarked]);
    expect(await stale).toBeInstanceOf(BrokerUnavailableError);
    expect(marksSeen).toEqual([['ra'], ['rc']]);
  });
});
