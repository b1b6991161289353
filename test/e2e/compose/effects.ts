// How effects are counted where no key folds a repeat: bench/open-load/effect-counter.ts (shared
// with `npm run load --count-effects`).
export { effectCountsQuery, INSTALL_EFFECT_COUNTER, REMOVE_EFFECT_COUNTER } from '../../../bench/open-load/effect-counter';

/**
 * Run with `node -e` inside the absorber container (it has the stack's broker settings and the
 * build): puts already-processed events on the broker again, as an at-least-once broker may
 * redeliver them, each id twice in one delivery and once more in a delivery of its own, then waits
 * until the workers took everything. Argument: the events as JSON (QueuedEvent[]).
 */
export const REDELIVER_SCRIPT = `
const { loadConfig } = require('./dist/libs/config/src');
const { createQueueDriver } = require('./dist/libs/queue/src');
(async () => {
  const events = JSON.parse(process.argv[1]);
  const driver = await createQueueDriver(loadConfig());
  if (!(await driver.waitUntilConnected(5000))) throw new Error('broker unreachable');
  const lanes = [...new Set(events.map((e) => e.lane))];
  for (const e of events) {
    await driver.enqueue(e.lane, [e, e]);
    await driver.enqueue(e.lane, [e]);
  }
  const deadline = Date.now() + 60000;
  for (;;) {
    const depths = await Promise.all(lanes.map((l) => driver.depth(l)));
    if (depths.every((d) => d.waiting + d.delayed + d.active === 0)) break;
    if (Date.now() > deadline) throw new Error('redeliveries not consumed: ' + JSON.stringify(depths));
    await new Promise((r) => setTimeout(r, 250));
  }
  await driver.close();
  console.log('redelivered ' + events.length + ' events 3 times each');
})().catch((err) => { console.error(err.message); process.exit(1); });`;
