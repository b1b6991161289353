import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Lane, LANES } from '@spillway/config';
import { QueuedEvent } from '@spillway/queue';
import { BullmqDriver } from '@spillway/queue/drivers';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';

const run = promisify(execFile);

function events(lane: Lane, n: number): QueuedEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${lane}-${i}-${Math.random().toString(36).slice(2)}`,
    type: 'order.created',
    lane,
    key: `customer-${i % 7}`,
    data: { i, nested: { ok: true } },
    receivedAt: new Date().toISOString(),
  }));
}

describe('npm run queue:move', () => {
  const from = uniquePrefix('movefrom');
  const to = uniquePrefix('moveto');
  const source = new BullmqDriver(testConfig({ QUEUE_PREFIX: from }));
  const target = new BullmqDriver(testConfig({ QUEUE_PREFIX: to }));
  afterAll(() => Promise.all([source.close(), target.close()]));
  const cli = (...args: string[]) => run(process.execPath, ['dist/apps/cli/src/queue-move.js', ...args], { env: testEnv() });

  it('moves every lane, events unchanged, and leaves the source empty', async () => {
    await source.waitUntilConnected(5000);
    const sent = new Map<Lane, QueuedEvent[]>();
    for (const lane of LANES) {
      sent.set(lane, events(lane, 150));
      await source.enqueue(lane, sent.get(lane)!);
    }
    const dry = await cli('--from', 'bullmq', '--to', 'bullmq', '--from-prefix', from, '--to-prefix', to, '--lane', 'all', '--dry-run');
    expect(dry.stdout).toMatch(/critical: would move 2 waiting and 0 delayed deliveries/);
    expect((await target.depth('critical')).waiting).toBe(0);

    const { stdout } = await cli('--from', 'bullmq', '--to', 'bullmq', '--from-prefix', from, '--to-prefix', to, '--lane', 'all');
    expect(stdout).toContain('queue:move done: 450 events moved from bullmq to bullmq');
    for (const lane of LANES) {
      const d = await source.depth(lane);
      expect(d.waiting + d.delayed + d.active).toBe(0);
    }

    const received = new Map<string, QueuedEvent>();
    const consumers = await Promise.all(
      LANES.map((lane) => target.consume(lane, async (d) => d.events.forEach((e) => received.set(e.id, e)), { concurrency: 2 })),
    );
    await waitFor('the moved events at the target', async () => received.size === 450);
    await Promise.all(consumers.map((c) => c.close()));
    for (const lane of LANES) for (const e of sent.get(lane)!) expect(received.get(e.id)).toEqual(e);
  });

  it('refuses to move a queue onto itself, with usage', async () => {
    await expect(cli('--from', 'bullmq', '--to', 'bullmq', '--lane', 'low')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('source and target are the same queues'),
    });
  });
});
