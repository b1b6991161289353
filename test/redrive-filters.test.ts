import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import { Lane, LANES } from '@spillway/config';
import type { EventTrace, LetterLine } from '@spillway/ops';
import { Consumer, QueueDriver, QueuedEvent } from '@spillway/queue';
import { startWorker } from './support/apps';
import { DRIVERS, freshDriver } from './support/drivers';
import { appendEffects, EffectLog } from './support/effect-log';
import { sleep, testConfig, testEnv, waitFor } from './support/env';

/** Every planted type is applied by appending to the effect log: a second application reads 2. */
@Injectable()
@HandlesEvents('order.*', 'user.*', 'billing.*', 'trace.*')
class CountingHandler implements EventHandler {
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    await appendEffects(tx, events.map((e) => e.id));
  }
}

// Two attempts: a long poll the closed failing consumer left open at SQS can take one redriven
// message (a receive SQS counts); one attempt would send it straight back. The retry backoff is
// long enough for `status --event` to see an event in it.
const ENV = { MAX_ATTEMPTS: '2', RETRY_BASE_MS: '4000', LEASE_MS: '2000' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A built CLI with no stdin at all (`ignore`), or through `script` on a pseudo-terminal fed `answer`. */
function cli(env: Record<string, string>, script: string, args: string[], answer?: string): Promise<Run> {
  const argv = [`dist/apps/cli/src/${script}.js`, ...args];
  const child =
    answer === undefined
      ? spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('script', ['-qec', [process.execPath, ...argv].map((a) => `'${a}'`).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  if (answer !== undefined) setTimeout(() => child.stdin!.end(answer), 1500);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe.each(DRIVERS)('queue:redrive filters and status --event on %s (real broker, built CLI)', (driverName) => {
  let driver: QueueDriver;
  let env: Record<string, string>;
  let worker: NestFastifyApplication | undefined;
  const effects = new EffectLog();
  const redrive = (...args: string[]) => cli(env, 'redrive', args);
  const trace = async (id: string) => {
    const run = await cli(env, 'status', ['--event', id, '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as EventTrace;
  };
  const lines = (run: Run) => run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LetterLine);
  const listed = async (...filter: string[]) => {
    const run = await redrive('--lane', 'all', '--list', '--json', ...filter);
    expect(run.code).toBe(0);
    return lines(run);
  };
  const eventIds = (letters: LetterLine[]) => letters.flatMap((l) => l.events.map((e) => e.id)).sort();
  const deadCount = async () => {
    let n = 0;
    for (const lane of LANES) n += (await driver.deadLetters(lane, 100)).length;
    return n;
  };

  const ev = (lane: Lane, type: string, key: string | undefined, err: string): QueuedEvent => ({
    id: randomUUID(), type, lane, data: { err }, receivedAt: new Date().toISOString(), ...(key ? { key } : {}),
  });
  const A = ev('normal', 'order.created', 'c-1', 'TypeError: total of undefined');
  const B = ev('normal', 'order.paid', 'c-2', 'SMTP refused the mail');
  const C = ev('normal', 'user.signup', 'c-1', 'smtp refused the mail');
  const D = ev('normal', 'user.deleted', 'c-3', 'TypeError: id of undefined');
  const E = ev('normal', 'billing.charge', undefined, 'gateway timeout');
  const F = ev('low', 'order.refunded', 'c-1', 'SMTP down');
  const G = ev('low', 'trace.me', undefined, 'trace bug');
  let sinceG = '';

  /** A consumer per lane that fails every delivery with its events' planted error. */
  async function failing(lanes: Lane[], seen: string[] = []): Promise<Consumer[]> {
    return Promise.all(
      lanes.map((lane) =>
        driver.consume(lane, async (d) => {
          seen.push(...d.events.map((e) => e.id));
          throw new Error(String(d.events[0].data.err));
        }, { concurrency: 4 }),
      ),
    );
  }

  beforeAll(async () => {
    driver = await freshDriver(driverName, ENV);
    env = testEnv({ QUEUE_DRIVER: driverName, QUEUE_PREFIX: (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix, ...ENV });
    await effects.setup();
    for (const e of [A, B, C, D, E, F]) await driver.enqueue(e.lane, [e]);
    const consumers = await failing(['normal', 'low']);
    try {
      await waitFor('six dead letters', async () => (await deadCount()) === 6, 60_000);
    } finally {
      await Promise.all(consumers.map((c) => c.close()));
    }
  }, 90_000);
  afterAll(async () => {
    await worker?.close();
    await driver.close();
    await effects.close();
  });

  it('status --event: waiting, in a retry backoff (BullMQ), then dead-lettered with its error and lane', async () => {
    await sleep(1100);
    sinceG = new Date().toISOString();
    await driver.enqueue('low', [G]);
    const waiting = await trace(G.id);
    if (driverName === 'bullmq') expect(waiting).toMatchObject({ state: 'waiting', lane: 'low', attempts: 0 });
    else expect(waiting).toMatchObject({ state: 'waiting-or-in-flight' });
    expect(waiting.searched.join('; ')).toContain(`${driverName} dead letters on critical, normal, low`);

    const seen: string[] = [];
    const consumers = await failing(['low'], seen);
    try {
      await waitFor('the first attempt failed', async () => seen.includes(G.id));
      await sleep(300);
      const backoff = await trace(G.id);
      if (driverName === 'bullmq') expect(backoff).toMatchObject({ state: 'delayed', lane: 'low', attempts: 1 });
      // SQS: its backoff is an invisible message; the trace (seconds of receives) may end after the last attempt.
      else expect(['waiting-or-in-flight', 'dead-lettered']).toContain(backoff.state);
      await waitFor('G dead-lettered', async () => (await deadCount()) === 7, 30_000);
    } finally {
      await Promise.all(consumers.map((c) => c.close()));
    }

    expect(await trace(G.id)).toMatchObject({ state: 'dead-lettered', lane: 'low', type: 'trace.me', attempts: 2, lastError: expect.stringContaining('trace bug') });
    const text = await cli(env, 'status', ['--event', G.id]);
    const bounded = await redrive('--lane', 'normal', '--list', '--type', '*', '--max', '2');
    expect(bounded.stdout).toContain('normal: stopped looking at --max 2 letters; more may match');
    expect(bounded.stdout).toContain('normal: 2 of 2 looked at match --type "*"; 5 counted by the broker');
    expect(text.stdout).toMatch(new RegExp(`^event ${G.id}: dead-lettered on lane low after 2 attempt\\(s\\), .*: Error: trace bug$`, 'm'));
    const unknown = await trace('no-such-event');
    expect(unknown.state).toBe(driverName === 'bullmq' ? 'unknown' : 'waiting-or-in-flight');
  }, 60_000);

  it('each filter lists exactly the planted letters it names, as JSON lines, and says how many it looked at', async () => {
    const all = await listed();
    expect(eventIds(all)).toEqual([A, B, C, D, E, F, G].map((e) => e.id).sort());
    const a = all.find((l) => l.events[0].id === A.id)!;
    expect(Object.keys(a).sort()).toEqual(['attempts', 'events', 'failedAt', 'id', 'lane', 'lastError']);
    expect(a).toMatchObject({ lane: 'normal', attempts: 2, lastError: expect.stringContaining('TypeError: total of undefined'), events: [{ id: A.id, type: 'order.created', key: 'c-1' }] });
    expect(all.find((l) => l.events[0].id === E.id)!.events).toEqual([{ id: E.id, type: 'billing.charge', key: null }]);

    expect(eventIds(await listed('--type', 'order.*'))).toEqual([A, B, F].map((e) => e.id).sort());
    expect(eventIds(await listed('--grep', 'smtp'))).toEqual([B, C, F].map((e) => e.id).sort());
    expect(eventIds(await listed('--key', 'c-1'))).toEqual([A, C, F].map((e) => e.id).sort());
    expect(eventIds(await listed('--since', sinceG))).toEqual([G.id]);
    expect(eventIds(await listed('--type', 'user.*', '--key', 'c-1', '--grep', 'SMTP'))).toEqual([C.id]);
    expect(await listed('--type', 'nothing.*')).toEqual([]);

    const text = await redrive('--lane', 'normal', '--list', '--type', 'order.*');
    expect(text.stdout).toContain('normal: 2 of 5 looked at match --type "order.*"; 5 counted by the broker');
    expect(text.stdout).toMatch(new RegExp(`^normal\\t\\S+\\t1 event\\(s\\)\\t2 attempts\\t\\S+\\tError: TypeError: total of undefined$`, 'm'));
  }, 60_000);

  it('acting on more than one letter asks first: refused with no stdin, declined on a terminal; nothing changes', async () => {
    const refused = await redrive('--lane', 'all', '--type', 'order.*');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('queue:redrive: would redrive 3 dead letter(s) on critical, normal, low matching --type "order.*" (of 7 looked at); stdin is not a terminal to ask on: give --yes to go ahead\n');
    const discard = await redrive('--lane', 'all', '--grep', 'typeerror', '--discard');
    expect(discard.code).toBe(2);
    expect(discard.stderr).toContain('would discard (delete for good) 2 dead letter(s)');

    const declined = await cli(env, 'redrive', ['--lane', 'all', '--type', 'order.*'], 'n\n');
    expect(declined.stdout).toContain('redrive 3 dead letter(s) on critical, normal, low matching --type "order.*" (of 7 looked at)? [y/N]');
    expect(declined.stdout).toContain('nothing done');
    expect(eventIds(await listed())).toHaveLength(7);
    expect(await effects.counts([A, B, F].map((e) => e.id))).toEqual(new Map());
  }, 60_000);

  it('a filtered redrive moves only the matching letters; the worker applies each once; status traces G to applied', async () => {
    const run = await redrive('--lane', 'all', '--grep', 'smtp', '--yes', '--json');
    expect(run.code).toBe(0);
    expect(eventIds(lines(run))).toEqual([B, C, F].map((e) => e.id).sort());
    expect(run.stderr).toContain('looked at 7 dead letter(s), 3 matched --grep "smtp"');
    expect(run.stderr).toContain('redrive done: 3 deliveries moved');
    // One letter: no question asked, no --yes needed.
    expect((await redrive('--lane', 'low', '--type', 'trace.*')).stdout).toContain('low: moved 1 dead-lettered deliveries back');
    expect(eventIds(await listed())).toEqual([A, D, E].map((e) => e.id).sort());

    worker = await startWorker(testConfig(env), [CountingHandler]);
    const moved = [B, C, F, G].map((e) => e.id);
    await waitFor('the four redriven events applied', async () => (await effects.counts(moved)).size === 4, 30_000);
    await sleep(2000);
    expect(await effects.counts([...moved, A.id, D.id, E.id])).toEqual(new Map(moved.map((id) => [id, 1])));
    expect(await trace(G.id)).toMatchObject({ state: 'applied', lane: 'low', type: 'trace.me', attempts: expect.any(Number), at: expect.any(String) });
    expect((await trace(G.id)).attempts).toBeLessThanOrEqual(2);
  }, 90_000);

  it('--discard with a filter, confirmed y on a terminal, deletes only the matching letters, and nothing of them is applied', async () => {
    // Answered y on a terminal this time (the redrive above used --yes).
    const run = await cli(env, 'redrive', ['--lane', 'all', '--grep', 'typeerror', '--discard'], 'y\n');
    expect(run.stdout).toContain('discard (delete for good) 2 dead letter(s) on critical, normal, low matching --grep "typeerror" (of 3 looked at)? [y/N]');
    expect(run.stdout).toContain('normal: discarded 2 dead letter(s)');
    expect(run.stdout).toContain('discard done: 2 dead letter(s) deleted');
    expect(eventIds(await listed())).toEqual([E.id]);
    await sleep(1000);
    expect(await effects.counts([A.id, D.id, E.id])).toEqual(new Map());
    expect(await trace(E.id)).toMatchObject({ state: 'dead-lettered', lane: 'normal', lastError: expect.stringContaining('gateway timeout') });
  }, 60_000);
});

describe('queue:redrive: usage', () => {
  const env = testEnv({ QUEUE_DRIVER: 'bullmq' });
  it('--help names every flag; bad flags are refused with one line and exit 2', async () => {
    const help = await cli(env, 'redrive', ['--help']);
    for (const flag of ['--lane', '--type', '--grep', '--key', '--since', '--list', '--json', '--discard', '--yes', '--max']) expect(help.stdout).toContain(flag);
    expect(await cli(env, 'redrive', ['--lane', 'low', '--since', 'yesterday'])).toMatchObject({ code: 2, stderr: 'queue:redrive: --since: "yesterday" is not an ISO time (2026-12-06T10:00:00Z)\n' });
    expect(await cli(env, 'redrive', ['--lane', 'low', '--max', '0'])).toMatchObject({ code: 2, stderr: 'queue:redrive: --max: "0" is not a whole number >= 1\n' });
    expect(await cli(env, 'redrive', ['--lane', 'low', '--verbose'])).toMatchObject({ code: 2, stderr: 'queue:redrive: unknown flag --verbose (see --help)\n' });
    expect(await cli(env, 'redrive', ['--lane', 'low', '--list', '--discard'])).toMatchObject({ code: 2, stderr: 'queue:redrive: --list only shows; drop it to --discard\n' });
    expect(await cli(env, 'redrive', ['--type', 'x'])).toMatchObject({ code: 2, stderr: 'queue:redrive: --lane must be one of critical, normal, low, all (see --help)\n' });
  });
});
