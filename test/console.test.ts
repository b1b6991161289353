import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { Browser, chromium, Page } from 'playwright-core';
import { createConsoleServer } from '../apps/console/src/console-server';
import { loadConfig } from '@spillway/config';
import { QueueDriver } from '@spillway/queue';
import { DRIVERS, freshDriver } from './support/drivers';
import { testEnv, waitFor } from './support/env';
import { makeDeadLetter, serve } from './support/ops-fixtures';

const run = promisify(execFile);
const TOKEN = 'console-test-token-0123456789';
// Debian's chromium, never a downloaded browser.
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch(CHROMIUM);
});
afterAll(() => browser?.close());

describe.each(DRIVERS)('operator console on %s (real broker, headless Chromium)', (driverName) => {
  let driver: QueueDriver;
  let db: Pool;
  let server: Server;
  let url: string;
  let sides: Array<{ url: string; close: () => Promise<void> }>;
  let page: Page;
  // One side, named as the target that runs this driver; its readiness stand-in answers 200 (bullmq) or 503 (sqs).
  const side = driverName === 'bullmq' ? 'hetzner' : 'eks';
  const readyUrl = () => sides[driverName === 'bullmq' ? 0 : 1].url;
  const dead = async (lane: 'critical' | 'low') => (await driver.deadLetters(lane, 50)).flatMap((d) => d.events.map((e) => ({ letter: d.id, event: e.id })));

  beforeAll(async () => {
    // LEASE_MS short: a message taken by a closed consumer's last long poll comes back soon; 2
    // attempts, so that one lost receive does not send a redriven letter straight back (SQS).
    driver = await freshDriver(driverName, { MAX_ATTEMPTS: '2', RETRY_BASE_MS: '100', LEASE_MS: '2000' });
    db = new Pool({ connectionString: loadConfig().databaseUrl, max: 2 });
    const trafficFile = join(mkdtempSync(join(tmpdir(), 'spillway-console-')), 'traffic.json');
    writeFileSync(trafficFile, JSON.stringify({ hetzner: 50, eks: 50 }));
    // Stand-ins for the two sides' /health/ready: what is under test is how the console reads them.
    sides = [await serve(async () => ({ status: 200, body: '{"status":"ok"}' })), await serve(async () => ({ status: 503, body: '{"status":"error"}' }))];
    server = createConsoleServer({ sides: [{ name: side, driver, url: readyUrl(), metrics: [] }], db, token: TOKEN, trafficFile });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await makeDeadLetter(driver, 'critical', `redrive-me-${driverName}`, 'TypeError: cannot read properties of undefined (reading "total")');
    await makeDeadLetter(driver, 'low', `discard-me-${driverName}`, 'handler bug: unknown currency "XXX"');
    // Two more on the same lane: discarding one must leave these.
    await makeDeadLetter(driver, 'low', `keep-me-1-${driverName}`, 'handler bug: unknown currency "YYY"');
    await makeDeadLetter(driver, 'low', `keep-me-2-${driverName}`, 'handler bug: unknown currency "ZZZ"');
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await page?.close();
    await new Promise((r) => server.close(r));
    await Promise.all(sides.map((s) => s.close()));
    await driver.close();
    await db.end();
  });

  it('asks for the token, then shows the side\'s lanes, dead letters with their error, weights and readiness', async () => {
    await page.goto(url);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#login button');
    await page.waitForSelector('text=missing or wrong console token');
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.waitForSelector(`section[data-side="${side}"] tr[data-lane="critical"]`);
    const cells = async (lane: string) => page.$$eval(`section[data-side="${side}"] tr[data-lane="${lane}"] td`, (tds) => tds.map((td) => td.textContent));
    expect((await cells('critical'))[5]).toBe('1');
    expect((await cells('low'))[5]).toBe('3');
    expect((await cells('normal'))[5]).toBe('0');
    await page.waitForSelector('text=cannot read properties of undefined');
    await page.waitForSelector('text=unknown currency "XXX"');
    expect(await page.textContent('#weights')).toContain('hetzner 50 / eks 50');
    const status = await page.textContent(`[data-test="status-${side}"]`);
    expect(status).toMatch(driverName === 'bullmq' ? /live · weight 50 · readiness ready \(HTTP 200\)/ : /live · weight 50 · readiness NOT READY \(HTTP 503\)/);
    if (driverName === 'bullmq' && process.env.CONSOLE_SCREENSHOT) await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true });
  });

  it('discards one dead letter after the confirmation: it is gone from the broker, not sent back', async () => {
    const letter = (await dead('low')).find((l) => l.event === `discard-me-${driverName}`)!;
    await page.click(`[data-test="discard-one-${letter.letter}"]`);
    // Done first: on SQS the test's own reads below receive the DLQ's letters (no peek), and would
    // hide the letter from a discard still running.
    await page.waitForSelector(`text=${side} low: 1 discarded`);
    // The other two letters of the lane stay, untouched. Polled: on SQS the page's own refresh
    // receives the DLQ's letters for a moment (no peek), so one read may see none of them.
    const left = () => dead('low').then((l) => l.map((x) => x.event).sort().join(' '));
    await waitFor('only the discarded letter gone from the DLQ', async () => (await left()) === `keep-me-1-${driverName} keep-me-2-${driverName}`);
    const depth = await driver.depth('low');
    expect(depth.waiting + depth.delayed + depth.active).toBe(0);
  });

  it('redrives with a click: the dead letter really goes back to its lane and is delivered again', async () => {
    expect(await dead('critical')).toEqual([{ letter: expect.any(String), event: `redrive-me-${driverName}` }]);
    await page.click(`[data-test="redrive-${side}-critical"]`);
    await page.waitForSelector(`text=${side} critical: 1 moved back`);
    expect(await dead('critical')).toEqual([]);
    const delivered: string[] = [];
    const consumer = await driver.consume('critical', async (d) => void delivered.push(...d.events.map((e) => e.id)), { concurrency: 1 });
    try {
      await waitFor('the redriven event delivered from its lane', async () => delivered.includes(`redrive-me-${driverName}`), 30_000);
    } finally {
      await consumer.close();
    }
  });

  it('refuses the API without the token, and a destructive call without its confirmation', async () => {
    const noToken = await fetch(`${url}/api/report`);
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { message: string }).message).toBe('missing or wrong console token: send Authorization: Bearer <CONSOLE_TOKEN>');
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // The lane alone (the confirmation before sides existed) does not confirm an action on a side.
    const unconfirmed = await post(`/api/sides/${side}/lanes/low/discard`, { confirm: 'low' });
    expect(unconfirmed.status).toBe(400);
    expect(((await unconfirmed.json()) as { message: string }).message).toBe(`confirm: must be "${side}/low", the side and lane acted on`);
    const unknown = await post('/api/sides/nowhere/lanes/low/discard', { confirm: 'nowhere/low' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toBe(`unknown side "nowhere" (sides: ${side})`);
    expect((await driver.deadLetters('low', 50)).length).toBe(2);
  });
});

describe('npm run console: start-up', () => {
  it('refuses to start without CONSOLE_TOKEN unless auth is turned off explicitly', async () => {
    const env = testEnv({ CONSOLE_TOKEN: '' });
    await expect(run(process.execPath, ['dist/apps/console/src/main.js'], { env })).rejects.toMatchObject({
      code: 78,
      stderr: 'console: CONSOLE_TOKEN is not set: set a token (or CONSOLE_AUTH=off on a trusted network)\n',
    });
  });

  it('refuses a redis password in a --side flag (ps shows flags), without echoing it', async () => {
    const env = testEnv({ CONSOLE_TOKEN: TOKEN });
    await expect(run(process.execPath, ['dist/apps/console/src/main.js', '--side', 'name=hetzner,redis=redis://app:s3cret-pass@10.0.0.5:6379'], { env })).rejects.toMatchObject({
      code: 2,
      stderr: 'console: --side name=hetzner,redis=redis://***@10.0.0.5:6379: the redis URL holds a password, which a flag shows to every user (ps); give this side in CONSOLE_SIDES instead\n',
    });
  });

  it('starts with two sides from flags (bare target names take the apps\' env) and reports both', async () => {
    const prefix = `t-console-main-${process.pid}`;
    const env = testEnv({ CONSOLE_AUTH: 'off', CONSOLE_PORT: '0', CONSOLE_SAMPLE_S: '1', QUEUE_PREFIX: prefix });
    const child = spawn(process.execPath, ['dist/apps/console/src/main.js', '--side', 'hetzner', '--side', 'eks'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const line = await waitFor('the console to listen', async () => /console on (http:\/\/127\.0\.0\.1:\d+\/) \(sides: hetzner bullmq, eks sqs.*; AUTH OFF\)/.exec(out) ?? undefined, 20_000);
      const report = (await (await fetch(`${line[1]}api/report`)).json()) as { sides: Array<{ name: string; driver: string; lanes: unknown[] }> };
      expect(report.sides.map((s) => [s.name, s.driver])).toEqual([['hetzner', 'bullmq'], ['eks', 'sqs']]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
