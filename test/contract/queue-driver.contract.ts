import { randomUUID } from 'node:crypto';
import { Lane, LANES, QueueDriverName } from '@spillway/config';
import { BrokerUnavailableError, Consumer, Delivery, DependencyDownError, QueueCapabilities, QueueDriver, QueuedEvent, UnrecoverableError } from '@spillway/queue';
import { freshDriver, unreachableDriver } from '../support/drivers';
import { sleep, testEnv, waitFor } from '../support/env';
import { AppProcess } from '../support/processes';
import { freePort } from '../support/redis-server';

const ENV = { MAX_ATTEMPTS: '3', RETRY_BASE_MS: '300', LEASE_MS: '2000' };

export function event(lane: Lane, extra: Partial<QueuedEvent> = {}): QueuedEvent {
  return { id: randomUUID(), type: 'contract.test', lane, data: {}, receivedAt: new Date().toISOString(), ...extra };
}

/** Records deliveries; `behave` decides per delivery (throw to fail it). */
class Recorder {
  readonly deliveries: Array<Delivery & { at: number }> = [];
  constructor(readonly behave: (d: Delivery) => Promise<void> | void = () => undefined) {}
  readonly handler = async (d: Delivery) => {
    this.deliveries.push({ ...d, at: Date.now() });
    await this.behave(d);
  };
  ids(): string[] {
    return this.deliveries.flatMap((d) => d.events.map((e) => e.id));
  }
  of(id: string) {
    return this.deliveries.filter((d) => d.events.some((e) => e.id === id));
  }
}

// What each driver must say of itself, written out here rather than read from the driver: a
// driver that changed a flag (and so the cases below that branch on it) fails this table first.
const CAPABILITIES: Record<QueueDriverName, QueueCapabilities> = {
  bullmq: {
    orderedLanes: [],
    dedupeLanes: [],
    dedupeWindowSeconds: 0,
    maxMessageBytes: 512 * 1024 * 1024,
    nativeDeadLetter: false,
    stallsCountAsAttempts: false,
    exactDepth: true,
    oldestAge: true,
  },
  sqs: {
    orderedLanes: ['critical'],
    dedupeLanes: ['critical'],
    dedupeWindowSeconds: 300,
    maxMessageBytes: 1024 * 1024,
    nativeDeadLetter: true,
    stallsCountAsAttempts: true,
    exactDepth: false,
    oldestAge: false,
  },
};

/** A test that applies only where `applies` holds; elsewhere it shows as skipped, with the reason in its name. */
const when = (applies: boolean, reason: string) => (title: string, fn: () => Promise<void>, timeout?: number) =>
  applies ? it(title, fn, timeout) : it.skip(`${title} (does not apply: ${reason})`, fn);

/**
 * The queue port's promises, run unchanged against every driver. Where brokers differ the test
 * reads the driver's capability flags, never its name; every test asserts something for every
 * driver or is skipped for it with the reason.
 */
export function queueDriverContract(name: QueueDriverName): void {
  const caps = CAPABILITIES[name];
  describe(`queue driver contract: ${name}`, () => {
    let driver: QueueDriver;
    const consumers: Consumer[] = [];
    const consume = async (lane: Lane, rec: Recorder, concurrency = 4) => {
      const c = await driver.consume(lane, rec.handler, { concurrency });
      consumers.push(c);
      return c;
    };

    beforeEach(async () => {
      driver = await freshDriver(name, ENV);
    });
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.close()));
      await driver.close();
    });

    it('delivers every event of a big enqueue, packed into fewer deliveries, on the first attempt', async () => {
      const events = Array.from({ length: 250 }, () => event('normal'));
      await driver.enqueue('normal', events);
      const rec = new Recorder();
      await consume('normal', rec);
      await waitFor('all events delivered', async () => rec.ids().length >= events.length);
      expect(new Set(rec.ids())).toEqual(new Set(events.map((e) => e.id)));
      expect(rec.deliveries.length).toBeLessThan(events.length);
      expect(rec.deliveries.every((d) => d.attempt === 1 && d.maxAttempts === 3 && d.lane === 'normal')).toBe(true);
    });

    // The CLI's commands and the apps' startup act on this answer (queue:move refuses an
    // unreachable broker with it); a driver that cannot tell would stall or go on blind.
    it('answers whether it is connected: true when it is, false once the timeout passes for a broker it cannot reach', async () => {
      expect(await driver.waitUntilConnected(5000)).toBe(true);
      expect(driver.isConnected()).toBe(true);
      const lost = unreachableDriver(name, await freePort());
      try {
        const started = Date.now();
        expect(await lost.waitUntilConnected(600)).toBe(false);
        expect(Date.now() - started).toBeGreaterThanOrEqual(550);
        expect(lost.isConnected()).toBe(false);
      } finally {
        await lost.close();
      }
    });

    // Readiness (/health/ready) and the up gauge rest on ping: it must fail, with the broker's
    // error, exactly when the broker cannot be reached.
    it('ping: resolves while connected, rejects with BrokerUnavailableError for a broker it cannot reach', async () => {
      await expect(driver.ping()).resolves.toBeUndefined();
      const lost = unreachableDriver(name, await freePort());
      try {
        const err = await lost.ping().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(BrokerUnavailableError);
        // Readiness shows this text: it says the broker is not reachable, not that a ping was slow.
        expect((err as Error).message).toMatch(/not connected|unreachable/);
      } finally {
        await lost.close();
      }
    });

    it('states its capabilities: known lanes, a dedupe window where it dedupes', () => {
      expect(driver.capabilities).toEqual(caps);
      for (const lane of [...caps.orderedLanes, ...caps.dedupeLanes]) expect(LANES).toContain(lane);
      if (caps.dedupeLanes.length) expect(caps.dedupeWindowSeconds).toBeGreaterThan(0);
      else expect(caps.dedupeWindowSeconds).toBe(0);
    });

    when(caps.orderedLanes.length > 0, 'no ordered lanes')('hands out one key at a time, in send order, on its ordered lanes', async () => {
      for (const lane of caps.orderedLanes) {
        const keys = ['k1', 'k2', 'k3'];
        const sent: QueuedEvent[] = [];
        for (let i = 0; i < 24; i++) {
          const e = event(lane, { key: keys[i % 3], data: { i } });
          sent.push(e);
          await driver.enqueue(lane, [e]);
        }
        await driver.enqueue(lane, [event(lane, { key: 'k1' }), event(lane, { key: 'k2' })]); // one call, two keys
        const active = new Map<string, number>();
        let overlap = false;
        const rec = new Recorder(async (d) => {
          const key = d.events[0].key!;
          if (d.events.some((e) => e.key !== key)) throw new Error('a delivery mixed keys');
          if (active.get(key)) overlap = true;
          active.set(key, 1);
          await sleep(15);
          active.set(key, 0);
        });
        await consume(lane, rec, 8);
        await waitFor('all delivered', async () => rec.ids().length >= sent.length + 2);
        expect(overlap).toBe(false);
        expect(rec.deliveries.every((d) => d.attempt === 1)).toBe(true);
        for (const key of keys) {
          const sentIds = new Set(sent.map((e) => e.id));
          const order = rec.deliveries.flatMap((d) => d.events).filter((e) => e.key === key && sentIds.has(e.id)).map((e) => e.data.i);
          expect(order).toEqual(sent.filter((e) => e.key === key).map((e) => e.data.i));
        }
      }
    });

    it('runs deliveries in parallel up to the concurrency', async () => {
      let now = 0;
      let max = 0;
      const rec = new Recorder(async () => {
        max = Math.max(max, ++now);
        await sleep(300);
        now--;
      });
      for (let i = 0; i < 6; i++) await driver.enqueue('normal', [event('normal')]);
      await consume('normal', rec, 3);
      await waitFor('all delivered', async () => rec.deliveries.length >= 6);
      expect(max).toBeGreaterThan(1);
      expect(max).toBeLessThanOrEqual(3);
    });

    it('retries a failing delivery with backoff and a growing attempt number', async () => {
      const e = event('low');
      const rec = new Recorder((d) => {
        if (d.attempt < 3) throw new Error(`fail ${d.attempt}`);
      });
      await driver.enqueue('low', [e]);
      await consume('low', rec);
      await waitFor('the third attempt', async () => rec.of(e.id).length >= 3);
      const tries = rec.of(e.id);
      expect(tries.map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(250); // RETRY_BASE_MS, loosely
      await sleep(1500);
      expect(rec.of(e.id)).toHaveLength(3);
      expect(await driver.deadLetters('low', 10)).toEqual([]);
    });

    // The worker throws DependencyDownError when the database is down: however long the outage,
    // the delivery must come back after the pause without spending an attempt, or an outage would
    // push healthy events into the dead letters.
    it('runs a delivery again after a dependency-down pause, spending no attempt, past maxAttempts', async () => {
      const e = event('normal');
      let down = 4; // more runs than MAX_ATTEMPTS
      const rec = new Recorder(() => {
        if (down-- > 0) throw new DependencyDownError('database unavailable (contract test)', 200);
      });
      await driver.enqueue('normal', [e]);
      await consume('normal', rec);
      await waitFor('the delivery to run once the dependency is back', async () => rec.of(e.id).length === 5, 20_000);
      expect(rec.of(e.id).map((d) => d.attempt)).toEqual([1, 1, 1, 1, 1]);
      await sleep(500);
      expect(rec.of(e.id)).toHaveLength(5);
      expect((await driver.depth('normal')).deadLettered).toBe(0);
    });

    // The delivery policy's dead-letter verdict for an error no retry can help (no handler for a
    // type, a malformed payload): at once, not after spending every attempt.
    it('dead-letters an unrecoverable failure on its first attempt, with its error', async () => {
      const e = event('normal');
      const rec = new Recorder(() => {
        throw new UnrecoverableError('malformed payload (contract test)');
      });
      await driver.enqueue('normal', [e]);
      await consume('normal', rec);
      const dead = await waitFor('a dead letter', async () => (await driver.deadLetters('normal', 10)).find((l) => l.events.some((x) => x.id === e.id)), 20_000);
      expect(dead.attempts).toBe(1);
      expect(dead.lastError).toContain('malformed payload (contract test)');
      await sleep(1000);
      expect(rec.of(e.id).map((d) => d.attempt)).toEqual([1]);
    });

    // The policy's hand-back: a consumer closing while the database is down gives the delivery
    // back without spending an attempt where the broker can (BullMQ); SQS counts the next receive
    // whatever happens, and the delivery waits out its lease there.
    it('closing while a dependency is down hands the delivery back: another consumer runs it, never dead-lettered', async () => {
      const e = event('normal');
      const held = new Recorder(() => {
        throw new DependencyDownError('database unavailable (contract test)', 200);
      });
      await driver.enqueue('normal', [e]);
      const first = await consume('normal', held);
      await waitFor('a few held runs', async () => held.of(e.id).length >= 2);
      await first.close();
      const later = new Recorder();
      await consume('normal', later);
      await waitFor('the delivery for another consumer', async () => later.of(e.id).length === 1, 15_000);
      expect(later.of(e.id)[0].attempt).toBe(caps.stallsCountAsAttempts ? 2 : 1);
      expect(held.of(e.id).every((d) => d.attempt === 1)).toBe(true);
      expect((await driver.depth('normal')).deadLettered).toBe(0);
    });

    it('dead-letters after maxAttempts with the last error, and redrives it back', async () => {
      for (const lane of ['normal', 'critical'] as const) {
        let fixed = false;
        const e = event(lane, { key: 'dl' });
        const rec = new Recorder((d) => {
          if (!fixed) throw new Error(`boom on attempt ${d.attempt}`);
        });
        await driver.enqueue(lane, [e]);
        const consumer = await consume(lane, rec);
        const dead = await waitFor('a dead letter', async () => (await driver.deadLetters(lane, 10)).find((l) => l.events.some((x) => x.id === e.id)), 30_000);
        expect(dead.attempts).toBe(3);
        expect(dead.lastError).toContain('boom on attempt 3');
        expect(rec.of(e.id).map((d) => d.attempt)).toEqual([1, 2, 3]);
        expect((await driver.depth(lane)).deadLettered).toBe(1);

        fixed = true;
        expect(await driver.redrive(lane)).toBe(1);
        await waitFor('the redriven delivery', async () => rec.of(e.id).length === 4);
        expect(rec.of(e.id)[3].attempt).toBe(1);
        await waitFor('an empty dead-letter queue', async () => (await driver.depth(lane)).deadLettered === 0);
        expect(await driver.deadLetters(lane, 10)).toEqual([]);
        await consumer.close();
      }
    });

    // The operator's filtered redrive (queue:redrive --type/--grep/--key) acts through these ids.
    it('redrives and discards chosen dead letters by id: one of three moves, the others stay listed', async () => {
      const lane = 'normal';
      const events = [event(lane), event(lane), event(lane)];
      for (const e of events) await driver.enqueue(lane, [e]);
      const failing = await driver.consume(lane, async () => {
        throw new Error('dead on purpose');
      }, { concurrency: 3 });
      await waitFor('three dead letters', async () => (await driver.deadLetters(lane, 10)).length === 3, 30_000);
      await failing.close();
      const letterOf = async (id: string) => (await driver.deadLetters(lane, 10)).find((l) => l.events[0].id === id)!.id;
      const eventsListed = async () => (await driver.deadLetters(lane, 10)).map((l) => l.events[0].id).sort();

      expect(await driver.redrive(lane, [await letterOf(events[1].id), 'no-such-letter'])).toBe(1);
      expect(await eventsListed()).toEqual([events[0].id, events[2].id].sort());
      const rec = new Recorder();
      await consume(lane, rec);
      await waitFor('the redriven letter delivered', async () => rec.ids().length >= 1);
      await sleep(1000);
      expect(rec.ids()).toEqual([events[1].id]);

      expect(await driver.redrive(lane, [])).toBe(0);
      expect(await driver.discardDeadLetters(lane, [await letterOf(events[2].id)])).toBe(1);
      expect(await eventsListed()).toEqual([events[0].id]);
      expect(rec.ids()).toEqual([events[1].id]);
    }, 60_000);

    it('drops a repeated send only on its dedupe lanes, and never loses one elsewhere', async () => {
      for (const lane of LANES) {
        const e = event(lane);
        await driver.enqueue(lane, [e]);
        await driver.enqueue(lane, [e]);
        const rec = new Recorder();
        const consumer = await consume(lane, rec);
        const expected = driver.capabilities.dedupeLanes.includes(lane) ? 1 : 2;
        await waitFor('deliveries', async () => rec.of(e.id).length >= expected);
        await sleep(1000);
        expect(rec.of(e.id)).toHaveLength(expected);
        await consumer.close();
      }
    });

    it('gives a killed consumer’s delivery to another after the lease', async () => {
      const e = event('normal');
      await driver.enqueue('normal', [e]);
      const env = testEnv({ QUEUE_DRIVER: name, QUEUE_PREFIX: (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix, ...ENV });
      const doomed = AppProcess.start('test/fixtures/stalling-consumer.js', env);
      await waitFor('the doomed consumer to take it', async () => doomed.output.includes(`got ${e.id}`));
      await doomed.stop('SIGKILL');
      const rec = new Recorder();
      await consume('normal', rec);
      await waitFor('the delivery taken over', async () => rec.of(e.id).length === 1, 20_000);
      expect(rec.of(e.id)[0].attempt).toBe(driver.capabilities.stallsCountAsAttempts ? 2 : 1);
    });

    it('counts depth per lane', async () => {
      for (let i = 0; i < 3; i++) await driver.enqueue('low', [event('low')]);
      await waitFor('3 waiting', async () => (await driver.depth('low')).waiting === 3);
      expect(await driver.depth('low')).toMatchObject({ delayed: 0, active: 0, deadLettered: 0 });
      // The shedder's cheaper read, where the driver has one, counts the same backlog.
      if (driver.backlog) expect(await driver.backlog('low')).toEqual({ waiting: 3, delayed: 0 });
      await consume('low', new Recorder());
      await waitFor('an empty lane', async () => Object.values(await driver.depth('low')).every((n) => n === 0));
    });

    // What the operator's status, console and lane metrics show: work in a handler, work waiting
    // out a retry backoff. SQS hides a message in backoff (its visibility is extended), so there
    // both read as active; where depth is exact the backoff reads as delayed.
    it('counts a delivery in its handler as active and one in its retry backoff as delayed (or active)', async () => {
      const slow = await freshDriver(name, { ...ENV, RETRY_BASE_MS: '20000' });
      const [held, failing] = [event('low'), event('low')];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const rec = new Recorder(async (d) => {
        if (d.events.some((e) => e.id === failing.id)) throw new Error('fails once');
        await gate;
      });
      const consumer = await slow.consume('low', rec.handler, { concurrency: 2 });
      try {
        await slow.enqueue('low', [held]);
        await slow.enqueue('low', [failing]);
        await waitFor('one delivery in its handler, one in backoff', async () => {
          const d = await slow.depth('low');
          return rec.of(held.id).length === 1 && rec.of(failing.id).length === 1 && d.active + d.delayed === 2;
        });
        const depth = await slow.depth('low');
        expect(depth).toMatchObject({ waiting: 0, deadLettered: 0 });
        expect(caps.exactDepth ? [depth.active, depth.delayed] : [depth.active + depth.delayed]).toEqual(caps.exactDepth ? [1, 1] : [2]);
      } finally {
        release();
        await consumer.close();
        await slow.close();
      }
    });

    // The lane metric spillway_queue_oldest_age_seconds and `status`: how long the oldest event
    // still waiting has waited (not one in a handler), from the broker where it can tell.
    when(caps.oldestAge, 'its queue API does not tell (undefined)')('tells the age of the oldest waiting event: 0 for an empty lane, none in a handler', async () => {
      expect(await driver.oldestAgeSeconds('low')).toBe(0);
      const [old, young] = [event('low'), event('low')];
      await driver.enqueue('low', [old]);
      await sleep(1200);
      await driver.enqueue('low', [young]);
      const age = await driver.oldestAgeSeconds('low');
      expect(age).toBeGreaterThanOrEqual(1.1); // the older of the two
      expect(age).toBeLessThan(10);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const rec = new Recorder(async (d) => {
        if (d.events.some((e) => e.id === old.id)) await gate;
      });
      await consume('low', rec, 1);
      try {
        await waitFor('the older event in its handler', async () => rec.of(old.id).length === 1);
        expect(await driver.oldestAgeSeconds('low')).toBeLessThan(1.1); // only the younger one waits
      } finally {
        release();
      }
      await waitFor('both delivered', async () => rec.ids().length === 2);
      await waitFor('an empty lane again', async () => (await driver.oldestAgeSeconds('low')) === 0);
    });

    when(!caps.oldestAge, 'its broker tells the age')('answers undefined for the age of the oldest event, with events waiting or not', async () => {
      expect(await driver.oldestAgeSeconds('low')).toBeUndefined();
      await driver.enqueue('low', [event('low')]);
      expect(await driver.oldestAgeSeconds('low')).toBeUndefined();
    });

    // An app that closes only its driver on shutdown (the Lambda entry, the CLI) must not leave
    // consumers taking deliveries it can no longer finish.
    it('close() stops the consumers it opened: an event sent after it is not delivered to them', async () => {
      const own = await freshDriver(name, ENV);
      const prefix = (own as unknown as { config: { queuePrefix: string } }).config.queuePrefix;
      const rec = new Recorder();
      await own.consume('normal', rec.handler, { concurrency: 1 });
      await own.close();
      const sender = await freshDriver(name, { ...ENV, QUEUE_PREFIX: prefix });
      try {
        await sender.enqueue('normal', [event('normal')]);
        await sleep(2000);
        expect(rec.deliveries).toEqual([]);
        expect((await sender.depth('normal')).waiting + (await sender.depth('normal')).active).toBe(1);
      } finally {
        await sender.close();
      }
    });

    it('on close finishes the in-flight delivery, acknowledges it, and takes nothing more', async () => {
      const e = event('normal');
      let finished = 0;
      const rec = new Recorder(async () => {
        await sleep(1000);
        finished = Date.now();
      });
      await driver.enqueue('normal', [e]);
      const consumer = await consume('normal', rec);
      await waitFor('the delivery to start', async () => rec.deliveries.length === 1);
      await consumer.close();
      expect(finished).toBeGreaterThan(0); // close() returned only after the handler finished
      await driver.enqueue('normal', [event('normal')]);
      await sleep(1500);
      expect(rec.deliveries).toHaveLength(1);
      const later = new Recorder();
      await consume('normal', later);
      await waitFor('the later event for a new consumer', async () => later.deliveries.length >= 1, 15_000);
      expect(later.of(e.id)).toEqual([]);
    });

    when(caps.maxMessageBytes <= 8 * 1024 * 1024, 'its message limit is far beyond any event the absorber takes')('carries an event bigger than the broker message limit intact', async () => {
      const big = 'x'.repeat(caps.maxMessageBytes + 1000);
      const e = event('normal', { data: { big } });
      await driver.enqueue('normal', [e, event('normal')]);
      const rec = new Recorder();
      await consume('normal', rec);
      await waitFor('the big event', async () => rec.of(e.id).length === 1);
      expect(rec.of(e.id)[0].events.find((x) => x.id === e.id)!.data.big).toBe(big);
    });

    it('keeps a delivery whose handler runs longer than the lease (no second delivery meanwhile)', async () => {
      const e = event('normal');
      const rec = new Recorder(async () => {
        await sleep(Number(ENV.LEASE_MS) * 3);
      });
      await driver.enqueue('normal', [e]);
      await consume('normal', rec);
      await waitFor('the delivery to start', async () => rec.of(e.id).length === 1);
      await sleep(Number(ENV.LEASE_MS) * 3 + 1500);
      expect(rec.of(e.id).map((d) => d.attempt)).toEqual([1]);
      await waitFor('an empty lane', async () => Object.values(await driver.depth('normal')).every((n) => n === 0));
    });

    it('a worker that dies on every try: dead-lettered by the broker after MAX_ATTEMPTS receives where stalls count, never otherwise', async () => {
      const e = event('normal');
      await driver.enqueue('normal', [e]);
      const env = testEnv({ QUEUE_DRIVER: name, QUEUE_PREFIX: (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix, ...ENV });
      for (let i = 0; i < Number(ENV.MAX_ATTEMPTS); i++) {
        const doomed = AppProcess.start('test/fixtures/stalling-consumer.js', env);
        await waitFor(`kill ${i + 1}: the doomed consumer to take it`, async () => doomed.output.includes(`got ${e.id}`), 20_000);
        await doomed.stop('SIGKILL');
      }
      const rec = new Recorder();
      await consume('normal', rec);
      if (caps.stallsCountAsAttempts && caps.nativeDeadLetter) {
        const dead = await waitFor('the broker to dead-letter it', async () => (await driver.deadLetters('normal', 10)).find((l) => l.events.some((x) => x.id === e.id)), 45_000);
        expect(dead.lastError).toContain('redrive policy');
        await sleep(1000);
        expect(rec.of(e.id)).toEqual([]);
      } else {
        // The lease must run out and the broker's stall check come round: slow on a loaded machine.
        await waitFor('the delivery taken over', async () => rec.of(e.id).length === 1, 45_000);
        expect(rec.of(e.id)[0].attempt).toBe(1);
        expect(await driver.deadLetters('normal', 10)).toEqual([]);
      }
    }, 150_000);
  });
}
