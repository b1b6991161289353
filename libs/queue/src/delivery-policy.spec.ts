import { ConsumerRoom, deadLettersOn, decide, followersRun, HandlerResult, retryDelayMs, RUNNING, Verdict } from './delivery-policy';
import { DependencyDownError } from './errors/dependency-down.error';
import { UnrecoverableError } from './errors/unrecoverable.error';

const settings = { retryBaseMs: 1000 };
const failed = { error: new Error('handler failed') };
const down = { error: new DependencyDownError('database unavailable', 1000) };
const malformed = { error: new UnrecoverableError('no handler for event type "x"') };
const CLOSING: ConsumerRoom = { hasFollowers: false, canWaitMs: 0 };
const HEAD: ConsumerRoom = { hasFollowers: true, canWaitMs: Infinity };
const HEAD_CLOSING: ConsumerRoom = { hasFollowers: true, canWaitMs: 0 };
/** A Lambda invocation with 1.5 s left after its margin. */
const HEAD_SHORT: ConsumerRoom = { hasFollowers: true, canWaitMs: 1500 };

describe('delivery policy', () => {
  // attempt of 3, the handler's result, where the consumer stands -> the verdict
  const table: Array<[string, number, HandlerResult, ConsumerRoom, Verdict]> = [
    ['success', 1, 'ok', RUNNING, { kind: 'ack' }],
    ['success on the last attempt', 3, 'ok', RUNNING, { kind: 'ack' }],
    ['a failure with attempts left: back to the broker after the backoff', 1, failed, RUNNING, { kind: 'retry', delayMs: 1000 }],
    ['the backoff doubles per attempt', 2, failed, RUNNING, { kind: 'retry', delayMs: 2000 }],
    ['a failure on the last attempt', 3, failed, RUNNING, { kind: 'dead-letter', reason: 'attempts spent' }],
    ['past the last attempt (a receive count over the limit)', 4, failed, RUNNING, { kind: 'dead-letter', reason: 'attempts spent' }],
    ['unrecoverable on the first attempt: dead-lettered at once', 1, malformed, RUNNING, { kind: 'dead-letter', reason: 'unrecoverable' }],
    ['unrecoverable at the head of a FIFO group: no retry here either', 1, malformed, HEAD, { kind: 'dead-letter', reason: 'unrecoverable' }],
    ['a FIFO head with followers: retried here, the followers kept', 1, failed, HEAD, { kind: 'retry-here', delayMs: 1000 }],
    ['a FIFO head on its last attempt: dead-lettered, the followers run', 3, failed, HEAD, { kind: 'dead-letter', reason: 'attempts spent' }],
    ['a FIFO head while closing: back to the broker', 1, failed, HEAD_CLOSING, { kind: 'retry', delayMs: 1000 }],
    ['a FIFO head whose backoff outlasts the time left: back to the broker', 2, failed, HEAD_SHORT, { kind: 'retry', delayMs: 2000 }],
    ['a FIFO head whose backoff fits the time left: retried here', 1, failed, HEAD_SHORT, { kind: 'retry-here', delayMs: 1000 }],
    // The bound is inclusive, as for a hold: a backoff that ends exactly at the margin still runs here.
    ['a FIFO head whose backoff just fits the time left: retried here', 1, failed, { hasFollowers: true, canWaitMs: 1000 }, { kind: 'retry-here', delayMs: 1000 }],
    ['a dependency down: held, uncharged', 1, down, RUNNING, { kind: 'hold', retryAfterMs: 1000 }],
    ['a dependency down on the last attempt: held, never dead-lettered', 3, down, RUNNING, { kind: 'hold', retryAfterMs: 1000 }],
    ['a dependency down while closing: handed back uncharged', 3, down, CLOSING, { kind: 'hand-back', delayMs: 1000 }],
    ['a dependency down with too little time left: handed back', 1, down, { hasFollowers: true, canWaitMs: 999 }, { kind: 'hand-back', delayMs: 1000 }],
    ['a dependency down with just enough time left: held', 1, down, { hasFollowers: false, canWaitMs: 1000 }, { kind: 'hold', retryAfterMs: 1000 }],
    ['a thrown non-Error is a plain failure', 1, { error: 'text' }, RUNNING, { kind: 'retry', delayMs: 1000 }],
  ];

  it.each(table)('%s', (_, attempt, result, room, verdict) => {
    expect(decide({ attempt, maxAttempts: 3 }, result, settings, room)).toEqual(verdict);
  });

  it('the rest of a FIFO group runs after an ack or a dead letter, and goes back unrun after a retry or hand-back', () => {
    const kinds: Verdict[] = [
      { kind: 'ack' },
      { kind: 'dead-letter', reason: 'unrecoverable' },
      { kind: 'retry', delayMs: 1 },
      { kind: 'hand-back', delayMs: 1 },
    ];
    expect(kinds.map(followersRun)).toEqual([true, true, false, false]);
  });

  it('a key stays fenced while its delivery will run again, and is lifted when it dead-letters', () => {
    expect(deadLettersOn({ attempt: 1, maxAttempts: 3 }, failed.error)).toBe(false);
    expect(deadLettersOn({ attempt: 3, maxAttempts: 3 }, failed.error)).toBe(true);
    expect(deadLettersOn({ attempt: 1, maxAttempts: 3 }, malformed.error)).toBe(true);
    expect(deadLettersOn({ attempt: 3, maxAttempts: 3 }, down.error)).toBe(false);
  });

  it('backs off exponentially from the base', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(100, a))).toEqual([100, 200, 400, 800]);
    expect(retryDelayMs(100, 0)).toBe(100);
  });
});
