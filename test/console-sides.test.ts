import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo, createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { createConsoleServer } from '../apps/console/src/console-server';
import { LANES } from '@spillway/config';
import { QueueDriver } from '@spillway/queue';
import { BullmqDriver, SqsDriver } from '@spillway/queue/drivers';
import { freshDriver } from './support/drivers';
import { sleep, testConfig, uniquePrefix, waitFor } from './support/env';
import { FauxqsServer } from './support/fauxqs';
import { makeDeadLetter, queued } from './support/ops-fixtures';
import { RedisServer } from './support/redis-server';

const TOKEN = 'console-sides-token-0123456789';
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};
const SAMPLE_MS = 500;

/**
 * Two sides up at once, each on a broker of its own that the test stops: hetzner (BullMQ on its
 * own redis-server) and eks (SQS on its own fauxqs). Traffic is all on eks, so hetzner is the side
 * being drained.
 */
describe('operator console, two sides at once (own redis-server and own fauxqs, headless Chromium)', () => {
  let browser: Browser;
  let redis: RedisServer;
  let fauxqs: FauxqsServer;
  let hetzner: QueueDriver;
  let eks: QueueDriver;
  let server: Server;
  let url: string;
  let page: Page;
  let metrics: Server;
  let accepted = 0;
  let processed = 0;

  const cell = async (side: string, lane: string, i: number) =>
    page.$eval(`section[data-side="${side}"] tr[data-lane="${lane}"] td:nth-child(${i + 1})`, (td) => td.textContent);
  const status = (side: string) => page.textContent(`[data-test="status-${side}"]`);

  beforeAll(async () => {
    browser = await chromium.launch(CHROMIUM);
    redis = await RedisServer.start({ aof: true });
    fauxqs = await FauxqsServer.start();
    const common = { MAX_ATTEMPTS: '1', LEASE_MS: '2000' };
    hetzner = new BullmqDriver(testConfig({ ...common, QUEUE_DRIVER: 'bullmq', REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('sides-h') }));
    const sqs = new SqsDriver(testConfig({ ...common, QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: fauxqs.url, QUEUE_PREFIX: uniquePrefix('sides-e') }));
    await sqs.ensureQueues();
    eks = sqs;
    expect(await hetzner.waitUntilConnected(5000)).toBe(true);
    // Stand-in for the hetzner side's absorber and worker /metrics (Prometheus text, the two
    // counters the console reads); the test moves the counters between samples.
    metrics = createServer((_req, res) => {
      accepted += 6;
      processed += 3;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`# TYPE spillway_events_accepted_total counter\nspillway_events_accepted_total{lane="normal"} ${accepted}\n# TYPE spillway_events_processed_total counter\nspillway_events_processed_total{lane="normal"} ${processed}\n`);
    });
    await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', r));
    const metricsUrl = `http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`;
    const trafficFile = join(mkdtempSync(join(tmpdir(), 'spillway-console-sides-')), 'traffic.json');
    writeFileSync(trafficFile, JSON.stringify({ hetzner: 0, eks: 100 }));
    server = createConsoleServer({
      sides: [
        { name: 'hetzner', driver: hetzner, metrics: [metricsUrl] },
        { name: 'eks', driver: eks, metrics: [] },
      ],
      token: TOKEN,
      trafficFile,
      sampleMs: SAMPLE_MS,
      sideTimeoutMs: 1500,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Left on the old side: five deliveries of lane normal, no worker taking them.
    for (let i = 0; i < 5; i++) await hetzner.enqueue('normal', [queued('normal', `left-${i}`)]);
    // One enqueue call is one SQS message whatever it carries: two calls, two messages.
    await eks.enqueue('low', [queued('low', 'eks-1')]);
    await eks.enqueue('low', [queued('low', 'eks-2')]);
    // The same lane dead-lettered on both sides: a redrive on one must leave the other's.
    await makeDeadLetter(hetzner, 'critical', 'dead-on-hetzner', 'handler bug on the box');
    await makeDeadLetter(eks, 'critical', 'dead-on-eks', 'handler bug on EKS');
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(url);
    await page.fill('#token', TOKEN);
    await page.click('#login button');
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    // The console's fetches keep their connections alive: closed here, or close() would wait on them.
    for (const s of [server, metrics]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    // A driver whose broker a failed test left stopped may not close cleanly: bounded.
    await Promise.race([Promise.all([hetzner.close(), eks.close()]), new Promise((r) => setTimeout(r, 5000))]);
    await redis.kill();
    if (fauxqs.process.exitCode === null && fauxqs.process.signalCode === null) await fauxqs.stop();
  });

  it('shows both sides side by side: lanes, weights, the old side draining, charts filling from samples', async () => {
    await page.waitForSelector('section[data-side="hetzner"] tr[data-lane="normal"]');
    await page.waitForSelector('section[data-side="eks"] tr[data-lane="low"]');
    expect(await cell('hetzner', 'normal', 1)).toBe('5');
    expect(await cell('eks', 'low', 1)).toBe('2');
    expect(await cell('hetzner', 'critical', 5)).toBe('1');
    expect(await cell('eks', 'critical', 5)).toBe('1');
    expect(await page.textContent('#weights')).toBe('weights (deploy/traffic.json): hetzner 0 / eks 100');
    expect(await status('hetzner')).toMatch(/^live · weight 0draining: 5 left/);
    expect(await status('eks')).toBe('live · weight 100');
    // A few samples in: every lane's depth chart has points on both sides; hetzner's rates come
    // from its counters (6 accepted and 3 processed per sample of lane normal).
    await waitFor('three samples charted on both sides', async () => {
      const points = await page.$$eval('svg[data-test$="-depth"]', (svgs) => svgs.map((s) => Number(s.getAttribute('data-points'))));
      return points.length === 2 * LANES.length && points.every((n) => n >= 3);
    }, 20_000);
    await page.waitForSelector('svg[data-test="chart-hetzner-normal-rates"] polyline.in', { state: 'attached' });
    await page.waitForSelector('svg[data-test="chart-hetzner-normal-rates"] polyline.out', { state: 'attached' });
    await page.waitForSelector('svg[data-test="chart-eks-low-rates"] polyline.net', { state: 'attached' });
    const inRate = Number(await cell('hetzner', 'normal', 6));
    const outRate = Number(await cell('hetzner', 'normal', 7));
    // 6 and 3 per sample: the counters' growth over the time between two samples.
    expect(inRate).toBeGreaterThan(0);
    expect(outRate).toBeCloseTo(inRate / 2, 0);
    expect(await cell('eks', 'low', 6)).toBe('n/a');
    // The change is against six samples back (3 s here): +5 or +0, whether the five came in that time.
    await waitFor('the drain with its change', async () => /^draining: 5 left \(\+[05] in the last \d+ s\)$/.test((await page.textContent('[data-test="drain-hetzner"]')) ?? ''), 20_000);
    if (process.env.CONSOLE_SIDES_SCREENSHOT) {
      // For the picture only: a few seconds more of samples, with some traffic on eks's lane normal.
      for (let i = 0; i < 6; i++) {
        await eks.enqueue('normal', [queued('normal', `picture-${i}`)]);
        await sleep(1000);
      }
      await page.screenshot({ path: process.env.CONSOLE_SIDES_SCREENSHOT, fullPage: true });
    }
  });

  it('redrives one side\'s dead letters only: the other side\'s letter of the same lane stays', async () => {
    await page.click('[data-test="redrive-eks-critical"]');
    await page.waitForSelector('text=eks critical: 1 moved back');
    await waitFor('the eks letter back in its lane', async () => (await eks.depth('critical')).deadLettered === 0);
    expect((await hetzner.deadLetters('critical', 10)).map((d) => d.events[0].id)).toEqual(['dead-on-hetzner']);
  });

  it('hetzner\'s broker stopped: its column says unreachable, eks stays live and updates', async () => {
    await redis.kill();
    await waitFor('hetzner unreachable on the page', async () => /^UNREACHABLE: /.test((await status('hetzner')) ?? ''), 20_000);
    await eks.enqueue('low', [queued('low', 'eks-3')]);
    await waitFor('the eks column updated', async () => (await cell('eks', 'low', 1)) === '3', 20_000);
    expect(await status('eks')).toBe('live · weight 100');
    // The report itself answers within a side's timeout, with hetzner's reason in its column.
    const started = Date.now();
    const report = (await (await fetch(`${url}/api/report`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { sides: Array<{ name: string; unreachable?: string; lanes: unknown[] }> };
    expect(Date.now() - started).toBeLessThan(4000);
    expect(report.sides.map((s) => [s.name, Boolean(s.unreachable), s.lanes.length])).toEqual([['hetzner', true, 0], ['eks', false, 3]]);
    // Its history keeps a gap where it could not be read, and resumes when Redis is back.
    await redis.restart();
    await waitFor('hetzner live again', async () => /^live/.test((await status('hetzner')) ?? ''), 30_000);
  });

  it('eks\'s broker stopped: its column says unreachable, hetzner stays live and updates', async () => {
    await fauxqs.stop();
    await waitFor('eks unreachable on the page', async () => /^UNREACHABLE: /.test((await status('eks')) ?? ''), 20_000);
    expect(await hetzner.waitUntilConnected(10_000)).toBe(true);
    await hetzner.enqueue('normal', [queued('normal', 'left-5')]);
    await waitFor('the hetzner column updated', async () => (await cell('hetzner', 'normal', 1)) === '6', 20_000);
    expect(await status('hetzner')).toMatch(/^live · weight 0draining: 6 left/);
    if (process.env.CONSOLE_DOWN_SCREENSHOT) await page.screenshot({ path: process.env.CONSOLE_DOWN_SCREENSHOT, fullPage: true });
  });

  it('a worker drains the old side: the count left falls, then the drain line goes', async () => {
    // One delivery a second, so the page (every 3 s) sees the count on its way down.
    const consumer = await hetzner.consume('normal', async () => void (await sleep(1000)), { concurrency: 1 });
    try {
      const falling = await waitFor('a falling drain', async () => {
        const text = (await page.textContent('[data-test="drain-hetzner"]').catch(() => null)) ?? '';
        return /^draining: [1-5] left \(-\d+ in the last \d+ s\)$/.test(text) ? text : undefined;
      }, 20_000);
      expect(falling).toMatch(/draining/);
      await waitFor('the drain line gone', async () => (await page.$('[data-test="drain-hetzner"]')) === null && (await cell('hetzner', 'normal', 1)) === '0', 30_000);
      expect(await status('hetzner')).toBe('live · weight 0');
    } finally {
      await consumer.close();
    }
  });
});

/**
 * A broker that accepts the connection and never answers (no refusal to fail fast on): the SQS
 * client has no deadline of its own, so only the side's timeout ends the read.
 */
describe('console report with a side that never answers (real BullMQ beside a silent endpoint)', () => {
  let live: QueueDriver;
  let stuck: QueueDriver;
  let silent: NetServer;
  const held: Socket[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    live = await freshDriver('bullmq');
    silent = createNetServer((socket) => void held.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    stuck = new SqsDriver(testConfig({ QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, QUEUE_PREFIX: uniquePrefix('stuck') }));
    await live.enqueue('low', [queued('low', 'live-1')]);
    const trafficFile = join(mkdtempSync(join(tmpdir(), 'spillway-console-stuck-')), 'traffic.json');
    writeFileSync(trafficFile, JSON.stringify({ hetzner: 100, eks: 0 }));
    server = createConsoleServer({ sides: [{ name: 'eks', driver: stuck, metrics: [] }, { name: 'hetzner', driver: live, metrics: [] }], token: TOKEN, trafficFile, sideTimeoutMs: 800 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await live.close();
    await Promise.race([stuck.close(), new Promise((r) => setTimeout(r, 2000))]);
    for (const socket of held) socket.destroy();
    silent.close();
  });

  it('answers within the side\'s timeout: the silent side unreachable, the other side\'s figures in full', async () => {
    const started = Date.now();
    const res = await fetch(`${url}/api/report`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const took = Date.now() - started;
    expect(res.status).toBe(200);
    const report = (await res.json()) as { sides: Array<{ name: string; unreachable?: string; lanes: Array<{ lane: string; depth: { waiting: number } }> }> };
    expect(report.sides[0]).toMatchObject({ name: 'eks', unreachable: 'no answer within 800 ms', lanes: [] });
    expect(report.sides[1].unreachable).toBeUndefined();
    expect(report.sides[1].lanes.find((l) => l.lane === 'low')?.depth.waiting).toBe(1);
    expect(took).toBeLessThan(3000);
  });
});
