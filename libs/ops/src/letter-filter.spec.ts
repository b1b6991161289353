import type { DeadLetter, QueuedEvent } from '@spillway/queue/queue.port';
import { filterText, globToRegExp, LetterFilter, letterLine, letterMatcher, parseSince } from './letter-filter';

const ev = (id: string, type: string, key?: string, origin?: QueuedEvent['origin']): QueuedEvent => ({
  id, type, lane: 'normal', data: {}, receivedAt: '2026-12-01T00:00:00.000Z', ...(key !== undefined ? { key } : {}), ...(origin ? { origin } : {}),
});
const letter = (events: QueuedEvent[], lastError = 'Error: boom', failedAt = '2026-12-06T10:00:00.000Z', lane: DeadLetter['lane'] = 'normal'): DeadLetter => ({
  id: 'L', lane, events, attempts: 3, lastError, failedAt,
});

const orders = letter([ev('e1', 'order.created', 'c-1'), ev('e2', 'billing.paid', 'c-2')], 'TypeError: cannot read total of undefined');
const tenant = letter([ev('e3', 'user.signup', 'k', { kind: 'tenant', name: 't1' })], 'Error: SMTP refused', '2026-12-05T00:00:00.000Z', 'low');
const empty = letter([], 'Error: claim check missing');

describe('letterMatcher: a letter matches when every given filter holds, the event ones for one same event', () => {
  const cases: Array<[string, LetterFilter, DeadLetter, boolean]> = [
    ['no filter matches anything', {}, empty, true],
    ['lane: same lane', { lane: 'normal' }, orders, true],
    ['lane: other lane', { lane: 'normal' }, tenant, false],
    ['type glob matches one event of several', { type: 'order.*' }, orders, true],
    ['type glob matches the second event', { type: 'billing.*' }, orders, true],
    ['type glob is anchored at both ends', { type: 'order' }, orders, false],
    ['type glob: * crosses dots', { type: '*.paid' }, orders, true],
    ['type glob: ? is one character', { type: 'user.signu?' }, tenant, true],
    ['type glob: a dot is a dot, not any character', { type: 'order?created' }, orders, true],
    ['type glob: regex characters are literal', { type: 'order.(created)' }, orders, false],
    ['type: a letter with no events matches no type', { type: '*' }, empty, false],
    ['grep in the last error, case-insensitive', { grep: 'CANNOT READ' }, orders, true],
    ['grep not in the error', { grep: 'smtp' }, orders, false],
    ['key: the client key', { key: 'c-2' }, orders, true],
    ['key: the origin-scoped ordering key', { key: 'tenant:t1/k' }, tenant, true],
    ['key: not present', { key: 'c-3' }, orders, false],
    ['type and key on one same event', { type: 'order.*', key: 'c-1' }, orders, true],
    ['type and key on two different events do not match', { type: 'order.*', key: 'c-2' }, orders, false],
    ['since: failed at the instant given', { since: new Date('2026-12-06T10:00:00.000Z') }, orders, true],
    ['since: failed before', { since: new Date('2026-12-06T10:00:00.001Z') }, orders, false],
    ['since: an unparseable failedAt is not after anything', { since: new Date(0) }, letter([ev('x', 't')], 'e', 'not a date'), false],
    ['all at once', { lane: 'low', type: 'user.*', grep: 'smtp', key: 'k', since: new Date('2026-12-04T00:00:00Z') }, tenant, true],
    ['all at once, one failing (since)', { lane: 'low', type: 'user.*', grep: 'smtp', key: 'k', since: new Date('2026-12-05T00:00:01Z') }, tenant, false],
  ];
  it.each(cases)('%s', (_name, filter, dead, expected) => {
    expect(letterMatcher(filter)(dead)).toBe(expected);
  });
});

describe('letter-filter helpers', () => {
  it('globToRegExp escapes everything but * and ?', () => {
    expect(globToRegExp('a.b*c?').source).toBe('^a\\.b.*c.$');
  });

  it('parseSince takes an ISO date or time, nothing else', () => {
    expect(parseSince('2026-12-06T10:00:00Z')?.toISOString()).toBe('2026-12-06T10:00:00.000Z');
    expect(parseSince('2026-12-06')?.toISOString()).toBe('2026-12-06T00:00:00.000Z');
    for (const bad of ['yesterday', '12/06/2026', '2026-13-45', '']) expect(parseSince(bad)).toBeUndefined();
  });

  it('filterText names each flag given, in flag form', () => {
    expect(filterText({})).toBe('no filter');
    expect(filterText({ lane: 'low', type: 'order.*', grep: 'x y', key: 'k', since: new Date('2026-12-06T00:00:00Z') })).toBe(
      '--lane low --type "order.*" --grep "x y" --key "k" --since 2026-12-06T00:00:00.000Z',
    );
  });

  it('letterLine keeps the JSON fields and each event\'s id, type and key (null when none)', () => {
    expect(letterLine(orders)).toEqual({
      lane: 'normal', id: 'L', attempts: 3, failedAt: '2026-12-06T10:00:00.000Z', lastError: 'TypeError: cannot read total of undefined',
      events: [{ id: 'e1', type: 'order.created', key: 'c-1' }, { id: 'e2', type: 'billing.paid', key: 'c-2' }],
    });
    expect(letterLine(letter([ev('e9', 't')])).events).toEqual([{ id: 'e9', type: 't', key: null }]);
  });
});
