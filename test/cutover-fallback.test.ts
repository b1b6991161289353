import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANES } from '@spillway/config';
import { QueueDriver } from '@spillway/queue';
import { BullmqDriver } from '@spillway/queue/drivers';
import { cutoverInProcess } from './support/cutover';
import { freshDriver } from './support/drivers';
import { testEnv, uniquePrefix } from './support/env';
import { drainAll, moveEvents } from './support/move-events';

/**
 * Stand-ins for the two absorbers' /health/ready only (both ready): what this test is about is
 * the drain, whose queues are the real ones (Redis for hetzner, the SQS emulator for eks).
 */
async function ready(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health/ready' ? 200 : 404;
    // No keep-alive: the cutover's next probe comes after the server would have closed an idle
    // socket (5 s), and fetch reusing it reads "fetch failed", i.e. an unready destination.
    res.setHeader('connection', 'close');
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('npm run cutover: between two targets by name, the drain falls back to queue:move across brokers', { timeout: 120_000 }, () => {
  const env = { QUEUE_PREFIX: uniquePrefix('cutover-move') };
  const servers: Server[] = [];
  let hetznerQueues: QueueDriver;
  let eksQueues: QueueDriver;
  beforeAll(async () => {
    // The cutover reaches both sides' queues with one QUEUE_PREFIX; the SQS ones must exist.
    [hetznerQueues, eksQueues] = await Promise.all([freshDriver('bullmq', env), freshDriver('sqs', env)]);
  });
  afterAll(async () => {
    await Promise.all([hetznerQueues?.close(), eksQueues?.close()]);
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('moves what the old side still holds after --drain-timeout to the new one: each event once, intact; the old side left empty', async () => {
    expect(hetznerQueues).toBeInstanceOf(BullmqDriver);
    const [hetzner, eks] = [await ready(), await ready()];
    servers.push(hetzner.server, eks.server);
    // Work left in hetzner's queues with no worker to take it: only the move can empty them.
    const left = LANES.flatMap((lane) => moveEvents(lane, 60, 'cutover'));
    for (const lane of LANES) await hetznerQueues.enqueue(lane, left.filter((e) => e.lane === lane));
    const root = mkdtempSync(join(tmpdir(), 'spillway-cutover-'));
    mkdirSync(join(root, 'deploy'));
    writeFileSync(join(root, 'deploy/traffic.json'), JSON.stringify({ hetzner: 100, eks: 0 }));

    const { code, stdout, stderr } = await cutoverInProcess(
      // Both sides by name (#36): each reached with its target's broker (hetzner bullmq, eks sqs).
      ['--from', 'hetzner', '--to', 'eks', '--steps', '100', '--hold', '0', '--root', root,
        '--apply', `echo "hetzner=$SPILLWAY_WEIGHT_HETZNER eks=$SPILLWAY_WEIGHT_EKS" >> ${join(root, 'applied')}`,
        '--hetzner-url', hetzner.url, '--eks-url', eks.url,
        // No absorber listens there: the old side takes no traffic, so only its queues keep it from done.
        '--hetzner-metrics-url', 'http://127.0.0.1:9/metrics',
        '--drain-timeout', '3', '--drain-window', '2', '--drain-give-up', '60',
        // Run only once the old side is empty, in the repository root, with the run's environment.
        '--scale-down', `echo "scaled $QUEUE_PREFIX" >> ${join(root, 'scaled')}`],
      // hetzner's Redis only by its own URL: the apps' REDIS_URL points where nothing listens.
      { ...env, REDIS_URL: 'redis://127.0.0.1:9', CUTOVER_HETZNER_REDIS_URL: testEnv().REDIS_URL ?? 'redis://127.0.0.1:6379' },
    );
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/drain hetzner: wait: .*, \d+ pending/);
    expect(stdout).toMatch(/drain hetzner: move: \d+ still pending after 3 s/);
    expect(stdout).toMatch(/drain hetzner: done: quiet and empty for \d+ s \(window 2 s\)/);
    expect(stdout).toContain('hetzner workers scaled down');
    expect(stdout).not.toContain("now scale hetzner's workers down");
    expect(readFileSync(join(root, 'scaled'), 'utf8')).toBe(`scaled ${env.QUEUE_PREFIX}\n`);
    expect(stdout.indexOf('drain hetzner: done:')).toBeLessThan(stdout.indexOf('hetzner workers scaled down'));
    expect(stdout).toContain('done: all traffic on eks, hetzner queues empty');
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 0, eks: 100 });
    expect(readFileSync(join(root, 'applied'), 'utf8')).toBe('hetzner=0 eks=100\n');

    for (const lane of LANES) expect([lane, await hetznerQueues.depth(lane)]).toEqual([lane, { waiting: 0, delayed: 0, active: 0, deadLettered: 0 }]);
    const got = await drainAll(eksQueues, left.length);
    expect(got.copies).toBe(left.length);
    for (const e of left) expect(got.events.get(e.id)).toEqual(e);
  });
});
