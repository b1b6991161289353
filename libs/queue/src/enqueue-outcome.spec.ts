import { EnqueueError, joinOutcomes, outcomeOf } from './enqueue-outcome';
import { BrokerUnavailableError, QueuedEvent } from './queue.port';

const event = (id: string): QueuedEvent => ({ id, type: 't', lane: 'normal', data: {}, receivedAt: '2026-12-06T00:00:00.000Z' });
const events = (...ids: string[]) => ids.map(event);

describe('enqueue outcomes: what the 202 (or 503, 504) of each event rests on', () => {
  it('outcomeOf: no error is held; an EnqueueError names held and unknown ids, every other id refused; any other error refuses all', () => {
    const error = new EnqueueError('partial', new Set(['a']), new Set(['b']));
    expect(['a', 'b', 'c'].map((id) => outcomeOf(error, id))).toEqual(['held', 'unknown', 'refused']);
    expect(outcomeOf(undefined, 'a')).toBe('held');
    expect(outcomeOf(new BrokerUnavailableError('down'), 'a')).toBe('refused');
    expect(outcomeOf(new Error('boom'), 'a')).toBe('refused');
  });

  it('allUnknown: every event of the call unknown, none held, a BrokerUnavailableError named EnqueueError with its cause', () => {
    const cause = new Error('timed out');
    const error = EnqueueError.allUnknown('no answer', events('a', 'b'), cause);
    expect([...error.unknown].sort()).toEqual(['a', 'b']);
    expect(error.held.size).toBe(0);
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error).toMatchObject({ name: 'EnqueueError', message: 'no answer', cause });
  });

  it('joinOutcomes: undefined when every write held its events', () => {
    expect(joinOutcomes('normal', [{ events: events('a') }, { events: events('b') }])).toBeUndefined();
    expect(joinOutcomes('normal', [])).toBeUndefined();
  });

  it('joinOutcomes: held, unknown and refused ids of several writes, one reason each, the first cause', () => {
    const first = new Error('boom');
    const partial = new EnqueueError('partial', new Set(['e']), new Set(['f']));
    const error = joinOutcomes('normal', [
      { events: events('a', 'b') },
      { events: events('c'), error: first, unknown: true },
      { events: events('d'), error: new Error('boom') },
      { events: events('e', 'f', 'g'), error: partial },
    ]);
    expect(error).toBeInstanceOf(EnqueueError);
    expect([...error!.held].sort()).toEqual(['a', 'b', 'e']);
    expect([...error!.unknown].sort()).toEqual(['c', 'f']);
    expect(['a', 'c', 'd', 'e', 'f', 'g'].map((id) => outcomeOf(error, id))).toEqual(['held', 'unknown', 'refused', 'held', 'unknown', 'refused']);
    expect(error!.message).toBe('enqueue to normal failed: boom; partial');
    expect(error!.cause).toBe(first);
  });

  it('joinOutcomes: a rejection that is not an Error (a string, null) is named by its text', () => {
    const error = joinOutcomes('low', [
      { events: events('a'), error: 'socket closed' },
      { events: events('b'), error: null },
    ]);
    expect(error!.message).toBe('enqueue to low failed: socket closed; null');
    expect(outcomeOf(error, 'a')).toBe('refused');
    expect(error!.cause).toBe('socket closed');
  });
});
