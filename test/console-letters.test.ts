import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { Browser, chromium, Page } from 'playwright-core';
import type { EntityManager } from 'typeorm';
import { createConsoleServer } from '../apps/console/src/console-server';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import { Lane, LANES } from '@spillway/config';
import { Consumer, QueueDriver, QueuedEvent } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { startWorker } from './support/apps';
import { freshDriver } from './support/drivers';
import { appendEffects, EffectLog } from './support/effect-log';
import { sleep, testConfig, uniquePrefix, waitFor } from './support/env';
import { FauxqsServer } from './support/fauxqs';

@Injectable()
@HandlesEvents('order.*', 'user.*', 'billing.*', 'trace.*')
class CountingHandler implements EventHandler {
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    await appendEffects(tx, events.map((e) => e.id));
  }
}

const TOKEN = 'console-letters-token-0123456789';
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};
// Two attempts: on SQS a long poll the closed failing consumer left open can take one redriven
// message (a receive SQS counts); one attempt would send it straight back.
const ENV = { MAX_ATTEMPTS: '2', RETRY_BASE_MS: '300', LEASE_MS: '2000' };
const SIDES = ['hetzner', 'eks'] as const;
type SideName = (typeof SIDES)[number];
/** Where screenshots go when asked for (docs/operations.md: how to make them). */
const SHOTS = process.env.CONSOLE_LETTERS_SCREENSHOTS;

interface Planted {
  A: QueuedEvent;
  B: QueuedEvent;
  C: QueuedEvent;
  D: QueuedEvent;
  T: QueuedEvent;
}

function plant(side: SideName): Planted {
  const ev = (lane: Lane, type: string, key: string | undefined, err: string, data: Record<string, unknown> = {}): QueuedEvent => ({
    id: `${side}-${type}-${randomUUID()}`, type, lane, data: { err, ...data }, receivedAt: new Date().toISOString(), ...(key ? { key } : {}),
  });
  // D is large: over the preview on both sides, and over SQS's 1 MiB message on eks (claim-checked in S3).
  const big = side === 'eks' ? 1_100_000 : 12_000;
  return {
    A: ev('normal', 'order.created', 'c-1', 'TypeError: total of undefined'),
    B: ev('normal', 'order.paid', 'c-2', 'SMTP refused the mail'),
    C: ev('low', 'user.signup', 'c-1', 'smtp refused the mail'),
    D: ev('normal', 'billing.charge', undefined, 'gateway timeout', { lines: [{ sku: 'x'.repeat(big), qty: 1 }], customer: { id: 'cu-9', name: 'Ada' } }),
    T: ev('low', 'trace.me', undefined, 'trace bug'),
  };
}

/**
 * The console's dead-letter finder and event tracer in Chromium, two sides up at once: hetzner
 * (BullMQ on the run's Redis) and eks (SQS on a fauxqs of its own, stopped at the end).
 */
describe('console: find, open, redrive and discard dead letters, trace an event, on both sides (BullMQ and SQS, headless Chromium)', () => {
  let browser: Browser;
  let fauxqs: FauxqsServer;
  const drivers = {} as Record<SideName, QueueDriver>;
  const envs = {} as Record<SideName, Record<string, string>>;
  const planted = { hetzner: plant('hetzner'), eks: plant('eks') };
  const workers: NestFastifyApplication[] = [];
  const effects = new EffectLog();
  let db: Pool;
  let server: Server;
  let url: string;
  let page: Page;
  const dialogs: string[] = [];
  let since = '';

  /** A consumer per lane failing every delivery with its events' planted error. */
  const failing = (driver: QueueDriver, lanes: Lane[]): Promise<Consumer[]> =>
    Promise.all(lanes.map((lane) => driver.consume(lane, async (d) => {
      throw new Error(String(d.events[0].data.err));
    }, { concurrency: 4 })));
  const deadCount = async (driver: QueueDriver) => {
    let n = 0;
    for (const lane of LANES) n += (await driver.deadLetters(lane, 100)).length;
    return n;
  };
  async function killAll(side: SideName, events: QueuedEvent[], total: number) {
    const driver = drivers[side];
    for (const e of events) await driver.enqueue(e.lane, [e]);
    const consumers = await failing(driver, [...new Set(events.map((e) => e.lane))]);
    try {
      await waitFor(`${total} dead letters on ${side}`, async () => (await deadCount(driver)) === total, 60_000);
    } finally {
      await Promise.all(consumers.map((c) => c.close()));
    }
  }

  /** Fills the finder and waits for its answer: the summary and the event ids of the rows. */
  async function find(side: SideName, f: { lane?: string; type?: string; grep?: string; key?: string; since?: string }) {
    await page.selectOption('#f-side', side);
    await page.selectOption('#f-lane', f.lane ?? 'all');
    for (const k of ['type', 'grep', 'key', 'since'] as const) await page.fill(`#f-${k}`, f[k] ?? '');
    await page.click('#find button');
    await waitFor('the finder\'s answer', async () => !/^looking/.test((await page.textContent('#f-summary')) ?? ''), 20_000);
    const summary = (await page.textContent('#f-summary')) ?? '';
    // A claim-checked letter (eks: D) is listed without reading S3, so without its event ids.
    const ids = await page.$$eval('#f-table tr[data-letter]', (rows) => rows.flatMap((r) => (r.getAttribute('data-events') ? r.getAttribute('data-events')!.split(' ') : ['in-s3'])));
    return { summary, ids: ids.sort() };
  }
  const notice = (text: string) => waitFor(`notice "${text}"`, async () => (await page.textContent('#notice')) === text, 30_000);
  const idsOf = (...events: QueuedEvent[]) => events.map((e) => e.id).sort();
  /** The rows' ids a find shows: eks's D (claim-checked) as "in-s3". */
  const listed = (s: SideName, ...events: QueuedEvent[]) => events.map((e) => (s === 'eks' && e === planted.eks.D ? 'in-s3' : e.id)).sort();
  const letterIdOf = async (eventId: string) => page.$eval(`#f-table tr[data-events~="${eventId}"]`, (r) => r.getAttribute('data-letter')!);

  /** Traces on the page: each side's answer (state and text). */
  async function trace(id: string): Promise<Record<SideName, { state: string; text: string }>> {
    await page.fill('#t-id', id);
    await page.click('#trace button');
    await waitFor('both sides\' traces', async () => (await page.$$('#t-out [data-state]')).length === 2, 20_000);
    const rows = await page.$$eval('#t-out [data-test]', (ds) => ds.map((d) => [d.getAttribute('data-test')!.slice('trace-'.length), d.getAttribute('data-state')!, d.textContent!]));
    return Object.fromEntries(rows.map(([s, state, text]) => [s, { state, text }])) as Record<SideName, { state: string; text: string }>;
  }

  beforeAll(async () => {
    browser = await chromium.launch(CHROMIUM);
    fauxqs = await FauxqsServer.start();
    drivers.hetzner = await freshDriver('bullmq', ENV);
    envs.hetzner = { QUEUE_DRIVER: 'bullmq', QUEUE_PREFIX: (drivers.hetzner as unknown as { config: { queuePrefix: string } }).config.queuePrefix, ...ENV };
    envs.eks = { QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: fauxqs.url, QUEUE_PREFIX: uniquePrefix('letters-e'), ...ENV };
    const sqs = new SqsDriver(testConfig(envs.eks));
    await sqs.ensureQueues();
    drivers.eks = sqs;
    await effects.setup();
    db = new Pool({ connectionString: testConfig().databaseUrl, max: 2 });
    await Promise.all(SIDES.map((s) => {
      const p = planted[s];
      return killAll(s, [p.A, p.B, p.C, p.D], 4);
    }));
    const trafficFile = join(mkdtempSync(join(tmpdir(), 'spillway-console-letters-')), 'traffic.json');
    writeFileSync(trafficFile, JSON.stringify({ hetzner: 50, eks: 50 }));
    server = createConsoleServer({
      sides: SIDES.map((name) => ({ name, driver: drivers[name], metrics: [] })),
      db,
      token: TOKEN,
      trafficFile,
      sampleMs: 1000,
      sideTimeoutMs: 1500,
      lettersTimeoutMs: 8000,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => console.warn(`page error: ${err.message}`));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.goto(url);
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.waitForSelector('#f-side option[value="eks"]', { state: 'attached' });
  }, 120_000);
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    for (const w of workers) await w.close();
    // eks's broker is stopped by then: its close is bounded, by a timer that does not hold the run open.
    await Promise.race([Promise.all(SIDES.map((s) => drivers[s]?.close())), new Promise((r) => setTimeout(r, 5000).unref())]);
    await db?.end();
    await effects.close();
    if (fauxqs && fauxqs.process.exitCode === null && fauxqs.process.signalCode === null) await fauxqs.stop();
  });

  it('traces an event waiting, then dead-lettered with its error, on the side that holds it', async () => {
    await sleep(1100);
    since = new Date().toISOString();
    const { hetzner: h, eks: e } = planted;
    for (const s of SIDES) await drivers[s].enqueue('low', [planted[s].T]);
    const waitingH = await trace(h.T.id);
    expect(waitingH.hetzner).toMatchObject({ state: 'waiting' });
    expect(waitingH.hetzner.text).toMatch(new RegExp(`^hetzner: event ${h.T.id}: waiting on lane low \\(delivery \\S+, 0 attempt\\(s\\) made\\)`));
    // SQS cannot search what waits without receiving it: it says so instead of guessing.
    expect(waitingH.eks.state).toBe('waiting-or-in-flight');
    expect((await trace(e.T.id)).eks.text).toContain('not applied and not dead-lettered: waiting or in flight (SQS cannot be searched without receiving)');

    await Promise.all(SIDES.map(async (s) => {
      const consumers = await failing(drivers[s], ['low']);
      try {
        await waitFor(`T dead on ${s}`, async () => (await deadCount(drivers[s])) === 5, 30_000);
      } finally {
        await Promise.all(consumers.map((c) => c.close()));
      }
    }));
    const deadH = await trace(h.T.id);
    expect(deadH.hetzner.state).toBe('dead-lettered');
    expect(deadH.hetzner.text).toMatch(/dead-lettered on lane low after 2 attempt\(s\), failed at \S+ \(letter \S+\): Error: trace bug/);
    expect(deadH.eks.state).toBe('waiting-or-in-flight');
    const deadE = await trace(e.T.id);
    expect(deadE.eks.state).toBe('dead-lettered');
    expect(deadE.hetzner.state).toBe('unknown');
    if (SHOTS) await page.locator('#tracer').screenshot({ path: join(SHOTS, 'console-trace.png') });
  }, 90_000);

  it('each filter finds exactly the planted letters, on both sides, and says how many it looked at', async () => {
    for (const s of SIDES) {
      const { A, B, C, D, T } = planted[s];
      const all = await find(s, {});
      expect(all.ids).toEqual(listed(s, A, B, C, D, T));
      const orders = await find(s, { type: 'order.*' });
      expect(orders.ids).toEqual(idsOf(A, B));
      expect(orders.summary).toMatch(new RegExp(`^2 of 5 dead letter\\(s\\) looked at on ${s} match --lane all --type "order\\.\\*" — normal: 2 of 3 looked at, 3 counted by the broker; low: 0 of 2 looked at, 2 counted by the broker`));
      if (s === 'eks') expect(orders.summary).toContain('(SQS: read by a bounded receive of up to 1000 per lane, made visible again after)');
      else expect(orders.summary).not.toContain('SQS');
      expect((await find(s, { grep: 'smtp' })).ids).toEqual(idsOf(B, C));
      expect((await find(s, { key: 'c-1' })).ids).toEqual(idsOf(A, C));
      expect((await find(s, { type: 'user.*', key: 'c-1', grep: 'SMTP' })).ids).toEqual(idsOf(C));
      expect((await find(s, { since })).ids).toEqual(idsOf(T));
      expect((await find(s, { lane: 'normal' })).ids).toEqual(listed(s, A, B, D));
      const none = await find(s, { type: 'nothing.*' });
      expect(none.ids).toEqual([]);
      expect(await page.isHidden('#f-actions')).toBe(true);
      // A bad time is refused by the server, naming it, as the CLI refuses --since.
      expect((await find(s, { since: 'yesterday' })).summary).toBe('find failed: since: "yesterday" is not an ISO time (2026-12-06T10:00:00Z)');
    }
    // Two finds at once: on SQS each is a run of receives that hides what it read until it is done;
    // the console lets one read a side's letters at a time, so neither misses what the other holds.
    for (const s of SIDES) {
      const both = await Promise.all([0, 1].map(async () => (await (await fetch(`${url}/api/sides/${s}/lanes/all/letters`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { lookedAt: number }));
      expect(both.map((b) => b.lookedAt)).toEqual([5, 5]);
    }
  }, 90_000);

  it('opens a letter: its attempts and error, payloads pretty-printed, a large one cut with the whole on demand (eks: claim-checked in S3)', async () => {
    for (const s of SIDES) {
      const { D } = planted[s];
      await find(s, { type: 'billing.*' });
      await page.click(`[data-test="open-${await letterIdOf(D.id)}"]`);
      await page.waitForSelector(`[data-test="payload-${D.id}"]`);
      expect(await page.textContent('[data-test="letter-attempts"]')).toMatch(/^2 attempt\(s\), the last failed at \S+; its error:$/);
      expect(await page.textContent('#letter pre.error')).toMatch(/^Error: gateway timeout/);
      const preview = (await page.textContent(`[data-test="payload-${D.id}"]`))!;
      expect(preview.startsWith('{\n  "err": "gateway timeout",\n  "lines": [\n    {\n      "sku": "xxx')).toBe(true);
      expect(preview).toHaveLength(4096);
      const whole = JSON.stringify(D.data, null, 2);
      expect(await page.textContent(`[data-test="event-${D.id}"] .meta`)).toBe(`showing 4096 of ${whole.length} characters Show all ${whole.length} characters`);
      if (SHOTS && s === 'hetzner') await page.locator('#finder').screenshot({ path: join(SHOTS, 'console-letter.png') });
      await page.click(`[data-test="whole-${D.id}"]`);
      await waitFor('the whole payload', async () => (await page.textContent(`[data-test="payload-${D.id}"]`))?.length === whole.length);
      expect(JSON.parse((await page.textContent(`[data-test="payload-${D.id}"]`))!)).toEqual(D.data);
    }
  }, 60_000);

  it('redrives exactly what a filter matches, a selection and one letter; discards one; the workers apply each redriven event once; the trace reaches applied', async () => {
    for (const s of SIDES) {
      const { A, B, C, T } = planted[s];
      const smtp = await find(s, { grep: 'smtp' });
      expect(smtp.ids).toEqual(idsOf(B, C));
      if (SHOTS && s === 'eks') await page.locator('#finder').screenshot({ path: join(SHOTS, 'console-letters.png') });
      dialogs.length = 0;
      await page.click('[data-test="redrive-matching"]');
      await notice(`${s}: 2 moved back to their lane (--lane all --grep "smtp")`);
      expect(dialogs).toEqual([`Redrive 2 dead letter(s) on ${s} matching --lane all --grep "smtp" (of 5 looked at)?`]);

      await find(s, { since });
      const tLetter = await letterIdOf(T.id);
      await page.check(`[data-test="pick-${tLetter}"]`);
      await page.click('[data-test="redrive-selected"]');
      await notice(`${s}: 1 moved back to their lane`);
      expect(dialogs[1]).toBe(`Redrive 1 dead letter(s) on ${s} (low ${tLetter})?`);

      await find(s, { type: 'order.created' });
      const aLetter = await letterIdOf(A.id);
      await page.click(`[data-test="letter-discard-${aLetter}"]`);
      await notice(`${s}: 1 discarded`);
      expect(dialogs[2]).toBe(`Delete for good 1 dead letter(s) on ${s} (normal ${aLetter})?`);
      // Left dead: D only.
      expect((await find(s, {})).ids).toEqual(listed(s, planted[s].D));
    }
    // Redriven, not yet applied: waiting again (BullMQ, a new delivery, no attempt made yet).
    expect((await trace(planted.hetzner.T.id)).hetzner.text).toMatch(/waiting on lane low \(delivery \S+, 0 attempt\(s\) made\)/);
    expect((await trace(planted.eks.T.id)).eks.state).toBe('waiting-or-in-flight');

    for (const s of SIDES) workers.push(await startWorker(testConfig(envs[s]), [CountingHandler]));
    const moved = SIDES.flatMap((s) => [planted[s].B, planted[s].C, planted[s].T].map((e) => e.id));
    await waitFor('the six redriven events applied', async () => (await effects.counts(moved)).size === 6, 40_000);
    await sleep(2000);
    const never = SIDES.flatMap((s) => [planted[s].A, planted[s].D].map((e) => e.id));
    expect(await effects.counts([...moved, ...never])).toEqual(new Map(moved.map((id) => [id, 1])));
    for (const s of SIDES) {
      const t = await trace(planted[s].T.id);
      expect(t[s].state).toBe('applied');
      expect(t[s].text).toMatch(new RegExp(`^${s}: event ${planted[s].T.id}: applied on lane low at \\S+, after [12] attempt\\(s\\) \\(type trace\\.me\\)`));
    }
    expect((await find('eks', {})).ids).toEqual(['in-s3']);
    expect(await page.textContent('#f-table tr[data-letter] td:nth-child(4)')).toMatch(/^in S3 \(\d+ bytes\): open to read$/);
  }, 120_000);

  it('refuses what it cannot do, naming it: a stale count, a bad filter, ids on all lanes, an unknown lane or side', async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, message: ((await res.json()) as { message: string }).message };
    };
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return { status: res.status, message: ((await res.json()) as { message?: string }).message };
    };
    expect(await post('/api/sides/hetzner/lanes/all/redrive', { confirm: 'hetzner/all', filter: { type: 'billing.*' }, expect: 2 })).toEqual({
      status: 409, message: '--lane all --type "billing.*" now matches 1 letter(s), not the 2 confirmed: find again and confirm the new count',
    });
    expect(await post('/api/sides/hetzner/lanes/all/redrive', { confirm: 'hetzner/normal', filter: { type: 'billing.*' }, expect: 1 })).toEqual({ status: 400, message: 'confirm: must be "hetzner/all", the side and lane acted on' });
    expect(await post('/api/sides/hetzner/lanes/all/discard', { confirm: 'hetzner/all', ids: ['1'] })).toEqual({ status: 400, message: 'ids: name the letters\' lane in the path, not "all" (a letter id is per lane)' });
    expect(await post('/api/sides/hetzner/lanes/low/redrive', { confirm: 'hetzner/low', filter: { colour: 'red' }, expect: 1 })).toEqual({ status: 400, message: 'filter: unknown key "colour" (type, grep, key, since)' });
    expect(await post('/api/sides/hetzner/lanes/low/redrive', { confirm: 'hetzner/low', filter: { grep: 'x' } })).toEqual({ status: 400, message: 'expect: must be the number of letters the operator confirmed (1 or more)' });
    expect(await get('/api/sides/hetzner/lanes/urgent/letters')).toEqual({ status: 404, message: 'unknown lane "urgent" (lanes: critical, normal, low, all)' });
    expect(await get('/api/sides/blue/lanes/low/letters')).toEqual({ status: 404, message: 'unknown side "blue" (sides: hetzner, eks)' });
    expect(await get('/api/sides/hetzner/lanes/low/letters?colour=red')).toEqual({ status: 400, message: 'unknown parameter "colour" (type, grep, key, since, max)' });
    expect(await get('/api/sides/hetzner/lanes/normal/letters/no-such-letter')).toEqual({ status: 404, message: 'no dead letter "no-such-letter" on hetzner/normal (looked at 1): redriven, discarded, or a wrong id' });
    // Nothing above changed anything: D still dead on hetzner.
    expect((await drivers.hetzner.deadLetters('normal', 10)).map((d) => d.events[0].id)).toEqual([planted.hetzner.D.id]);
  });

  it('eks\'s broker stopped: its column and its trace say so; hetzner\'s column, finder and trace still answer', async () => {
    await fauxqs.stop();
    await waitFor('eks unreachable on the page', async () => /^UNREACHABLE: /.test((await page.textContent('[data-test="status-eks"]')) ?? ''), 20_000);
    expect(await page.textContent('[data-test="status-hetzner"]')).toMatch(/^live/);
    expect((await find('hetzner', {})).ids).toEqual(idsOf(planted.hetzner.D));
    const t = await trace(planted.hetzner.D.id);
    expect(t.hetzner.state).toBe('dead-lettered');
    expect(t.eks.state).toBe('error');
    expect(t.eks.text).toMatch(/^eks: trace failed: /);
  }, 60_000);
});
