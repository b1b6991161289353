import { QueueDriver } from '@spillway/queue';
import { DRIVERS, freshDriver } from './support/drivers';
import { makeDeadLetter } from './support/ops-fixtures';

describe.each(DRIVERS)('discardDeadLetters on %s (real broker)', (driverName) => {
  let driver: QueueDriver;
  beforeAll(async () => {
    driver = await freshDriver(driverName, { MAX_ATTEMPTS: '1', LEASE_MS: '2000' });
  });
  afterAll(() => driver.close());

  it('deletes the letters asked for by id, then all of a lane, and sends nothing back to the lane', async () => {
    for (const id of ['d1', 'd2', 'd3']) await makeDeadLetter(driver, 'normal', id, `bug in ${id}`);
    const letters = await driver.deadLetters('normal', 10);
    const byEvent = new Map(letters.map((l) => [l.events[0].id, l.id]));
    expect([...byEvent.keys()].sort()).toEqual(['d1', 'd2', 'd3']);

    expect(await driver.discardDeadLetters('normal', [byEvent.get('d2')!, 'no-such-letter'])).toBe(1);
    expect((await driver.deadLetters('normal', 10)).map((l) => l.events[0].id).sort()).toEqual(['d1', 'd3']);

    expect(await driver.discardDeadLetters('normal')).toBe(2);
    expect(await driver.deadLetters('normal', 10)).toEqual([]);
    const depth = await driver.depth('normal');
    expect(depth.deadLettered).toBe(0);
    expect(depth.waiting + depth.delayed).toBe(0);
  });
});
