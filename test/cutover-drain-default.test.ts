// The cutover's drain as `npm run cutover` composes it (drainRules from the parsed flags and the
// definition's DNS TTL, runDrain, the pending count of move.ts), against real BullMQ queues, with a
// virtual clock so the default window (DNS TTL 60 s + 60 s) runs in seconds.
import { LANES } from '@spillway/config';
import { pendingDeliveries, QueueDriver } from '@spillway/queue';
import { moveLane } from '@spillway/queue';
import { DrainClock, drainRules, runDrain } from '../deploy/cutover-drain';
import { parseCutoverArgs } from '../deploy/cutover-plan';
import { spillway } from '../deploy/spillway';
import { freshDriver } from './support/drivers';
import { waitFor } from './support/env';
import { drainAll, moveEvents } from './support/move-events';

/** Virtual seconds: sleep advances the clock and runs what is due then (a late arrival). */
function virtualClock(): DrainClock & { at(s: number, fn: () => Promise<void>): void; t: number } {
  const due: Array<{ s: number; fn: () => Promise<void> }> = [];
  const c = {
    t: 0,
    now: () => c.t,
    at: (s: number, fn: () => Promise<void>) => void due.push({ s, fn }),
    sleep: async (ms: number) => {
      c.t += ms;
      for (const d of due.filter((x) => x.s * 1000 <= c.t)) {
        due.splice(due.indexOf(d), 1);
        await d.fn();
      }
      await new Promise((r) => setImmediate(r));
    },
  };
  return c;
}

const pendingOn = async (d: QueueDriver) => (await Promise.all(LANES.map((lane) => d.depth(lane)))).reduce((n, x) => n + pendingDeliveries(x), 0);

function sides(old: QueueDriver, next: QueueDriver, moveTimeoutS: number, lines: string[]) {
  return {
    old: 'hetzner',
    pending: () => pendingOn(old),
    traffic: async () => undefined, // no absorber answers: only the queues keep the drain from done
    move: async () => {
      for (const lane of LANES) await moveLane(lane, old, next, { concurrency: 4, timeoutS: moveTimeoutS, log: () => undefined });
    },
    log: (l: string) => void lines.push(l),
  };
}

describe('cutover drain: the default window, a late arrival, and delayed retries', { timeout: 120_000 }, () => {
  const drivers: QueueDriver[] = [];
  afterAll(() => Promise.all(drivers.map((d) => d.close())));
  const pair = async (env: Record<string, string> = {}) => {
    const [old, next] = [await freshDriver('bullmq', env), await freshDriver('bullmq', env)];
    drivers.push(old, next);
    return [old, next];
  };

  it('without --drain-window the window is the DNS TTL + 60 s: a late arrival at 100 s restarts it, is moved after --drain-timeout, and nothing is left', async () => {
    const [old, next] = await pair();
    const rules = drainRules(parseCutoverArgs(['--to', 'eks'], {}), spillway.dns.ttl);
    expect(spillway.dns.ttl).toBe(60);
    expect(rules).toEqual({ windowS: 120, moveAfterS: 300, giveUpS: 3600 });
    const late = moveEvents('normal', 1, 'late');
    const clock = virtualClock();
    clock.at(100, () => old.enqueue('normal', late).then(() => undefined));
    const lines: string[] = [];
    await runDrain(rules, sides(old, next, 30, lines), clock);
    const firstDone = lines.findIndex((l) => l.includes(': done: '));
    expect(lines.slice(0, firstDone).some((l) => l.includes('drain hetzner: wait: old absorber unreachable (takes no traffic), 1 pending'))).toBe(true);
    expect(lines).toContain('drain hetzner: move: 1 still pending after 300 s');
    expect(lines[firstDone]).toBe('drain hetzner: done: quiet and empty for 120 s (window 120 s)');
    expect(clock.t).toBeGreaterThanOrEqual(420_000);
    expect(await pendingOn(old)).toBe(0);
    expect((await drainAll(next, 1)).events.get(late[0].id)).toEqual(late[0]);
  });

  it('--drain-window 30 calls the side drained at 30 s: the same late arrival at 100 s is left in the old queue, which nobody drains any more', async () => {
    const [old, next] = await pair();
    const rules = drainRules(parseCutoverArgs(['--to', 'eks', '--drain-window', '30'], {}), spillway.dns.ttl);
    const late = moveEvents('normal', 1, 'late');
    const clock = virtualClock();
    clock.at(100, () => old.enqueue('normal', late).then(() => undefined));
    const lines: string[] = [];
    await runDrain(rules, sides(old, next, 30, lines), clock);
    expect(lines.at(-1)).toBe('drain hetzner: done: quiet and empty for 30 s (window 30 s)');
    // the cutover goes on to scale the old workers down; the client that cached the old answer posts at 100 s
    while (clock.t < 100_000) await clock.sleep(1000);
    expect((await old.depth('normal')).waiting).toBe(1);
    expect(await pendingOn(next)).toBe(0);
  });

  it('counts delayed retries as pending (waiting + delayed + active): the drain is not done while one waits out its backoff, and the move takes it when due', async () => {
    expect(pendingDeliveries({ waiting: 1, delayed: 1, active: 1, deadLettered: 7 })).toBe(3);
    // A retry backoff of 4 s: the failed delivery sits in BullMQ's delayed set that long.
    const [old, next] = await pair({ RETRY_BASE_MS: '4000' });
    const [retried, waiting] = [moveEvents('low', 1, 'retried'), moveEvents('low', 1, 'waiting')];
    await old.enqueue('low', retried);
    let failed = false;
    const consumer = await old.consume('low', async () => {
      failed = true;
      throw new Error('handler failed once');
    }, { concurrency: 1 });
    await waitFor('the first attempt to fail into the delayed set', async () => failed && (await old.depth('low')).delayed === 1);
    await consumer.close();
    await old.enqueue('low', waiting);
    expect(await old.depth('low')).toMatchObject({ waiting: 1, delayed: 1, active: 0 });
    expect(await pendingOn(old)).toBe(2);

    const lines: string[] = [];
    const clock = virtualClock();
    await runDrain({ windowS: 5, moveAfterS: 2, giveUpS: 600 }, sides(old, next, 30, lines), clock);
    expect(lines[0]).toBe('drain hetzner: wait: old absorber unreachable (takes no traffic), 2 pending; quiet for 0 of 5 s');
    expect(lines).toContain('drain hetzner: move: 2 still pending after 2 s');
    expect(lines.at(-1)).toBe('drain hetzner: done: quiet and empty for 5 s (window 5 s)');
    expect(await old.depth('low')).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    const got = await drainAll(next, 2);
    expect([...got.events.keys()].sort()).toEqual([retried[0].id, waiting[0].id].sort());
  });
});
