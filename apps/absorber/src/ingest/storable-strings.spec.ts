import { checkEvent } from './event-validator';

describe('strings Postgres cannot store are refused at ingest, naming the field', () => {
  it.each([
    [{ type: 'x', data: { a: 'nul\u0000here' } }, 'data.a: holds NUL'],
    [{ type: 'x', data: { a: { b: [1, 'ok', 'x\u0000'] } } }, 'data.a.b[2]: holds NUL'],
    [{ type: 'x', data: { 'odd key': { c: '\ud800' } } }, 'data["odd key"].c: holds an unpaired UTF-16 surrogate'],
    [{ type: 'x', data: { a: 'tail\udc00' } }, 'data.a: holds an unpaired UTF-16 surrogate'],
    [{ type: 'x', data: { deep: { 'k\u0000': 1 } } }, 'data.deep: an object key ("k\\u0000") holds NUL'],
    [{ type: 'x', data: { ['\udbff']: 1 } }, 'data: an object key ("\\udbff") holds an unpaired UTF-16 surrogate'],
    [{ type: 'x', data: {}, key: 'k\u0000' }, 'key: holds NUL'],
    [{ type: 'x', data: {}, key: '\ud83d' }, 'key: holds an unpaired UTF-16 surrogate'],
    [{ type: 'x\u0000', data: {} }, 'type: 1-200 characters'],
  ])('%j -> %s', (body, message) => {
    const checked = checkEvent(body);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.error).toContain(message);
  });

  it('takes well-formed text: paired surrogates (emoji), other control characters, escapes', () => {
    expect(checkEvent({ type: 'x', data: { e: '\ud83d\ude00', t: '\t\u0001\u001f', q: '"\\' }, key: '\ud83d\ude00' }).ok).toBe(true);
  });

  it('names the batch index', () => {
    const checked = checkEvent({ type: 'x', data: { a: '\u0000' } }, 'events[3].');
    expect(!checked.ok && checked.error).toBe('events[3].data.a: holds NUL (\\u0000), which Postgres cannot store');
  });
});
