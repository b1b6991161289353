import { idempotentEventId, newEventId } from './event-ids';

// Keyed ids must not change between releases: a retry sent across a deploy must map to the ids
// the first attempt got, or the ledger cannot fold it. Pinned from the createHash derivation the
// one-shot hash replaced (session 16).
describe('event ids', () => {
  it('derives the same keyed ids as every earlier release', () => {
    expect(idempotentEventId('t', 'k')).toBe('b20db086-380c-8135-b3f4-47903037dae3');
    expect(idempotentEventId('hook:gh', 'é-key', 3, 17)).toBe('4e08b025-a9b2-866f-b5d0-3e95bab18cc8');
    expect(idempotentEventId('x', 'y', 0, 0)).toBe('c6e9646e-9308-88f2-b615-3c719ff4dc55');
  });

  it('makes fresh ids as UUIDv7 carrying the time', () => {
    const id = newEventId(0x0123456789ab);
    expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newEventId(0x0123456789ab)).not.toBe(id);
  });
});
