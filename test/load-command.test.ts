import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'pg';
import { laneRoutesEnv } from '../deploy/model/env';
import { spillway } from '../deploy/spillway';
import { loadConfig } from '@spillway/config';
import { testEnv, uniquePrefix, waitFor } from './support/env';
import { AppProcess } from './support/processes';
import { freePort } from './support/redis-server';

const ROOT = join(__dirname, '..');

/** `npm run load` as a user runs it: its own process, its exit code, stdout and stderr. */
function load(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/open-load/main.ts', ...args], {
    cwd: ROOT,
    env: { ...testEnv(), DATABASE_URL: '', LOAD_API_KEY: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function health(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
  return res?.status === 200;
}

describe('npm run load against a real absorber and worker (BullMQ, Postgres)', () => {
  const key = 'load-test-key-7e9a1c3b5d7f9a2c4e6b';
  let absorber: AppProcess;
  let worker: AppProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const workerPort = await freePort();
    const env = { QUEUE_DRIVER: 'bullmq', QUEUE_PREFIX: uniquePrefix('load') };
    // The definition's routes, so the lane mix reaches all three lanes as in production.
    absorber = AppProcess.absorber(testEnv({ ...env, PORT: String(port), INGEST_API_KEYS: key, LANE_ROUTES: laneRoutesEnv(spillway) }));
    worker = AppProcess.worker(testEnv({ ...env, WORKER_HEALTH_PORT: String(workerPort) }));
    // Generous: on a shared box two Node processes may take a while to boot.
    await waitFor('absorber ready', () => health(port), 60_000);
    await waitFor('worker ready', () => health(workerPort), 60_000);
  }, 90_000);
  afterAll(async () => {
    await absorber?.stop();
    await worker?.stop();
  });

  it('sends 200 rps for 5 s on schedule, and every acknowledged event is processed once the queues drain', async () => {
    const run = await load(['--url', `http://127.0.0.1:${port}`, '--rps', '200', '--duration', '5', '--api-key', key, '--drain-stall', '10', '--count-effects', '--json'], {
      DATABASE_URL: loadConfig().databaseUrl,
    });
    const s = JSON.parse(run.stdout);
    expect(s.scheduled).toBe(1000);
    expect(s.sent + s.dropped).toBe(1000);
    // On a box shared with other work the generator itself falls behind (counted as dropped, with
    // its lag reported); the drain check below is the point here, on what was sent.
    expect(s.sent).toBeGreaterThanOrEqual(200);
    expect(s.statuses).toEqual({ 202: s.sent });
    expect(s.acknowledged).toBe(s.sent);
    // 10/70/20: every lane reached through the definition's routes.
    expect(s.lanes.critical).toBeGreaterThan(0);
    expect(s.lanes.low).toBeGreaterThan(0);
    expect(s.lanes.critical + s.lanes.normal + s.lanes.low).toBe(s.acknowledged);
    // processed and stored count rows keyed by the event id (a double reads 1 there); `doubled`
    // comes from the trigger that counts every application of the reference handler.
    expect(s.drain).toMatchObject({ acknowledged: s.sent, processed: s.sent, stored: s.sent, missing: [], doubled: 0 });
    const db = new Pool({ connectionString: loadConfig().databaseUrl, max: 1 });
    try {
      // The counter is gone again: the schema is what the migrations made.
      expect((await db.query("SELECT to_regclass('effect_counter') AS t")).rows[0].t).toBeNull();
    } finally {
      await db.end();
    }
    expect(s.latencyMs.p50).toBeGreaterThan(0);
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p95);
    // Exit 1 exactly when a threshold failed (latency on a loaded box), never for the drain here.
    expect(run.code).toBe(s.thresholdFailures.length ? 1 : 0);
    expect(run.stderr).toMatch(/load: 1\/5 s +sent \d+/);
  }, 90_000);

  it('counts refused requests as failed, and an unreachable absorber or bad flag is one line, exit 2', async () => {
    const refused = await load(['--url', `http://127.0.0.1:${port}`, '--rps', '20', '--duration', '1', '--api-key', 'wrong', '--json']);
    const s = JSON.parse(refused.stdout);
    expect(s.statuses).toEqual({ 401: s.sent });
    expect(s.failed).toBe(s.sent);
    expect(s.acknowledged).toBe(0);
    expect(refused.code).toBe(1);

    const closed = await freePort();
    const gone = await load(['--url', `http://127.0.0.1:${closed}`, '--rps', '10', '--duration', '1']);
    expect(gone.code).toBe(2);
    expect(gone.stderr.trim()).toMatch(/^load: cannot reach http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\); start the absorber/);
    const bad = await load(['--url', 'http://127.0.0.1:1', '--rps', 'many', '--duration', '1']);
    expect(bad).toMatchObject({ code: 2, stderr: 'load: --rps: "many" must be a number > 0\n' });
    const missing = await load(['--rps', '5', '--duration', '1']);
    expect(missing.stderr).toBe('load: --url is required; see --help\n');
    const noDatabase = await load(['--url', 'http://127.0.0.1:1', '--rps', '5', '--duration', '1', '--count-effects']);
    expect(noDatabase).toMatchObject({ code: 2, stderr: 'load: --count-effects needs the database: --database-url or DATABASE_URL\n' });
  }, 60_000);
});

describe('npm run load is an open model', () => {
  // A stand-in for an absorber that takes a second to answer: the real one cannot be made slow on
  // demand, and what is tested here is the generator, not the server.
  let slow: Server;
  let url: string;
  beforeAll(async () => {
    slow = createServer((req, res) => {
      if (req.url === '/health/live') return res.end('ok');
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"x","lane":"normal"}'), 1000));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => slow.close(r)));

  it('keeps sending on schedule while answers take a second, and times them from the schedule', async () => {
    const run = await load(['--url', url, '--rps', '40', '--duration', '2', '--json']);
    const s = JSON.parse(run.stdout);
    // A closed model (each connection waiting for its answer) would have sent a handful here.
    expect(s.sent).toBeGreaterThanOrEqual(70);
    expect(s.sent + s.dropped).toBe(80);
    // The server holds each request 1 s (timers may fire a millisecond early).
    expect(s.latencyMs.p50).toBeGreaterThanOrEqual(990);
  }, 30_000);

  it('drops and counts arrivals that find --max-in-flight requests unanswered', async () => {
    const run = await load(['--url', url, '--rps', '40', '--duration', '2', '--max-in-flight', '10', '--json']);
    const s = JSON.parse(run.stdout);
    expect(s.sent + s.dropped).toBe(80);
    expect(s.sent).toBeLessThanOrEqual(30);
    expect(s.dropped).toBeGreaterThanOrEqual(50);
    expect(s.thresholdFailures.join()).toMatch(/dropped \d+ \(threshold <= 0\)/);
    expect(run.code).toBe(1);
  }, 30_000);
});
