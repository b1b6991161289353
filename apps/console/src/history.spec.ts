import { History, perSecond, Ring, seriesOf } from './history';

describe('console history', () => {
  it('keeps the newest points, oldest first', () => {
    const ring = new Ring<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    const short = new Ring<number>(3);
    short.push(1);
    expect(short.toArray()).toEqual([1]);
  });

  it('holds one hour of samples per side and lane', () => {
    const h = new History(10_000);
    expect(h.capacity).toBe(361);
    for (let i = 0; i < 400; i++) h.add('eks', 'low', { at: i * 10_000, pending: i, accepted: null, processed: null });
    expect(h.points('eks', 'low')).toHaveLength(361);
    expect(h.points('eks', 'low')[0].pending).toBe(39);
    expect(h.points('hetzner', 'low')).toEqual([]);
  });

  it('rates: counters\' growth per second; net: change of pending, signed; a gap or a counter reset gives null', () => {
    const s = seriesOf([
      { at: 0, pending: 10, accepted: 100, processed: 50 },
      { at: 2000, pending: 4, accepted: 110, processed: 66 },
      { at: 4000, pending: null, accepted: 5, processed: 70 },
      { at: 6000, pending: 8, accepted: 9, processed: 70 },
    ]);
    expect(s.inPerSecond).toEqual([null, 5, null, 2]);
    expect(s.outPerSecond).toEqual([null, 8, 2, 0]);
    expect(s.netPerSecond).toEqual([null, -3, null, null]);
    expect(perSecond(1, 3, 0)).toBeNull();
  });
});
