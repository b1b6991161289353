import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { Metrics } from '@spillway/health';
import type { Report } from '@spillway/ops';
import { QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, testEnv, uniquePrefix } from './support/env';
import { makeDeadLetter, serve } from './support/ops-fixtures';

const run = promisify(execFile);
const STATUS = 'dist/apps/cli/src/status.js';

describe.each(DRIVERS)('npm run status on %s (real broker, built CLI)', (driverName) => {
  const env = testEnv({ QUEUE_DRIVER: driverName, QUEUE_PREFIX: uniquePrefix('status'), MAX_ATTEMPTS: '1', RETRY_BASE_MS: '50' });
  const trafficFile = join(mkdtempSync(join(tmpdir(), 'spillway-status-')), 'traffic.json');
  let absorber: NestFastifyApplication;
  let absorberUrl: string;
  let driver: QueueDriver;
  let metrics: { url: string; close: () => Promise<void> };
  const db = new Pool({ connectionString: testConfig().databaseUrl, max: 1 });
  const status = (...args: string[]) => run(process.execPath, [STATUS, ...args], { env });
  const post = (lane: string) =>
    fetch(`${absorberUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'test.status', data: {}, priority: lane }) });

  beforeAll(async () => {
    if (driverName === 'sqs') await ensureSqsQueues(env);
    absorber = await startAbsorber(testConfig(env));
    await absorber.listen(0, '127.0.0.1');
    absorberUrl = await absorber.getUrl();
    driver = absorber.get(QUEUE_DRIVER);
    // The absorber's registry on a port of its own, wherever the app itself serves /metrics.
    metrics = await serve(async () => ({ status: 200, body: await absorber.get(Metrics).registry.metrics() }));
    writeFileSync(trafficFile, JSON.stringify({ hetzner: 90, eks: 10 }));
    await makeDeadLetter(driver, 'critical', 'dead-status-1', 'handler bug: cannot parse order 42');
  });
  afterAll(async () => {
    await metrics.close();
    await absorber.close();
    await db.query(`DELETE FROM processed_events WHERE id LIKE $1`, [`${env.QUEUE_PREFIX}-out-%`]);
    await db.end();
  });

  it('--json: depth, age, rates, dead letters with their error, weights and both sides readiness', async () => {
    for (let i = 0; i < 3; i++) expect((await post('low')).status).toBe(202);
    // 600 ledger rows committed just now on low: at least 10 events/s over the 60 s window (other
    // suites may add their own rows to the shared ledger, so only the lower bound is exact).
    const ids = Array.from({ length: 600 }, (_, i) => `${env.QUEUE_PREFIX}-out-${i}`);
    await db.query(`INSERT INTO processed_events (id, type, lane, attempts) SELECT id, 'test.status', 'low', 1 FROM unnest($1::text[]) AS id`, [ids]);
    // Keep posting while the CLI samples the counters, so the in-rate has something to see.
    let posting = true;
    const load = (async () => {
      while (posting) await post('normal');
    })();
    const { stdout } = await status('--json', '--traffic', trafficFile, '--hetzner-url', absorberUrl, '--eks-url', 'http://127.0.0.1:9', '--metrics-url', `${metrics.url}/metrics`, '--sample', '1');
    posting = false;
    await load;
    const report = JSON.parse(stdout) as Report;
    const lane = (name: string) => report.lanes.find((l) => l.lane === name)!;
    expect(report.driver).toBe(driverName);
    expect(lane('low').depth.waiting).toBeGreaterThanOrEqual(1);
    expect(lane('normal').inPerSecond).toBeGreaterThan(0);
    expect(lane('critical').inPerSecond).toBe(0);
    expect(lane('low').outPerSecond).toBeGreaterThanOrEqual(10);
    if (driverName === 'bullmq') expect(lane('low').oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    else expect(lane('low').oldestAgeSeconds).toBeNull();
    expect(lane('critical').depth.deadLettered).toBe(1);
    expect(lane('critical').deadLetters).toEqual([expect.objectContaining({ eventIds: ['dead-status-1'], attempts: 1, lastError: expect.stringContaining('cannot parse order 42') })]);
    expect(report.traffic).toEqual({ hetzner: 90, eks: 10 });
    expect(report.readiness.hetzner).toMatchObject({ ready: true, detail: 'HTTP 200' });
    expect(report.readiness.eks).toMatchObject({ ready: false });
    expect(report.problems).toEqual([]);
  });

  it('prints a table, and names what it could not read', async () => {
    const { stdout } = await status('--traffic', join(tmpdir(), 'no-such-traffic.json'));
    expect(stdout).toMatch(/^lane\s+waiting\s+delayed\s+active\s+oldest\s+in\/s\s+out\/s\s+dead$/m);
    expect(stdout).toMatch(/^critical\s.*\s1$/m);
    expect(stdout).toContain('handler bug: cannot parse order 42');
    expect(stdout).toContain('hetzner: not checked (give --hetzner-url)');
    expect(stdout).toContain('note: in-rate: no absorber metrics URL given');
    expect(stdout).toMatch(/note: cannot read .*no-such-traffic.json/);
  });
});

describe('npm run status: usage and failures', () => {
  const cli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [STATUS, ...args], { env: testEnv(env) });

  it('--help explains every flag', async () => {
    const { stdout } = await cli(['--help']);
    for (const flag of ['--json', '--hetzner-url', '--eks-url', '--metrics-url', '--traffic', '--dead-letters']) expect(stdout).toContain(flag);
  });

  it('refuses an unknown flag or a bad URL with one line and exit 2', async () => {
    await expect(cli(['--verbose'])).rejects.toMatchObject({ code: 2, stderr: 'status: unknown flag --verbose (see --help)\n' });
    await expect(cli(['--eks-url', 'eks.example.com'])).rejects.toMatchObject({ code: 2, stderr: 'status: --eks-url: "eks.example.com" is not an http(s) URL\n' });
  });

  it('says which broker to start when it does not answer', async () => {
    await expect(cli([], { QUEUE_DRIVER: 'bullmq', REDIS_URL: 'redis://127.0.0.1:9' })).rejects.toMatchObject({
      code: 1,
      stderr: 'status: Redis at redis://127.0.0.1:9 does not answer: start Redis or set REDIS_URL\n',
    });
  });
});
