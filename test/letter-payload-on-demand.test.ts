import { randomUUID } from 'node:crypto';
import { lettersApi } from '../apps/console/src/letters-api';
import { LetterLock } from '../apps/console/src/letter-lock';
import { QueuedEvent } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { ensureSqsQueues } from './support/drivers';
import { EmulatorProxy } from './support/emulator-proxy';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * Listing SQS dead letters reads no claim-checked payload from S3; opening one letter reads its
 * payload once. S3 GetObject calls are counted by a pass-through proxy in front of fauxqs (which
 * serves SQS and S3 on one endpoint).
 */
describe('console letters on SQS: claim-checked payloads read from S3 only when a letter is opened', () => {
  const fauxqs = process.env.SQS_ENDPOINT!;
  let proxy: EmulatorProxy;
  let driver: SqsDriver;
  let gets = 0;
  // Two attempts: a long poll the closed failing consumer left open may take the redriven message once.
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('ondemand'), MAX_ATTEMPTS: '2', RETRY_BASE_MS: '100', LEASE_MS: '2000' };
  const ev = (type: string, data: Record<string, unknown>): QueuedEvent => ({ id: `${type}-${randomUUID()}`, type, lane: 'normal', data, receivedAt: new Date().toISOString() });
  const big = ev('big.one', { blob: 'x'.repeat(1_100_000) });
  const small = ev('small.one', { n: 1 });
  const api = () => lettersApi({ sides: new Map([['eks', { name: 'eks', driver, metrics: [] }]]), lock: new LetterLock(), timeoutMs: 30_000 });

  beforeAll(async () => {
    await ensureSqsQueues({ ...env, SQS_ENDPOINT: fauxqs });
    proxy = await EmulatorProxy.start(fauxqs);
    proxy.intercept = (r) => {
      if (r.method === 'GET' && r.path.includes('/events/')) gets++;
      return undefined;
    };
    driver = new SqsDriver(testConfig({ ...env, SQS_ENDPOINT: proxy.url }));
    await driver.enqueue('normal', [big]);
    await driver.enqueue('normal', [small]);
    const failing = await driver.consume('normal', async (d) => {
      throw new Error(`refused ${d.events[0].type}`);
    }, { concurrency: 2 });
    try {
      await waitFor('2 dead letters', async () => (await driver.deadLetters('normal', 10)).length === 2, 60_000);
    } finally {
      await failing.close();
    }
  }, 90_000);
  afterAll(async () => {
    await driver?.close();
    await proxy?.close();
  });

  it('a listing reads nothing from S3 and marks the claim-checked letter; a type filter reads only the letters it must inspect', async () => {
    gets = 0;
    const all = await api().list('eks', 'normal', new URLSearchParams());
    expect(gets).toBe(0);
    const bigLine = all.letters.find((l) => l.lastError.includes('big.one'))!;
    expect(bigLine.events).toEqual([]);
    expect(bigLine.eventsInS3!.bytes).toBeGreaterThan(1_100_000);
    expect(all.letters.find((l) => l.lastError.includes('small.one'))!.events.map((e) => e.id)).toEqual([small.id]);

    // grep passes over the big letter without reading it; a type filter must read it (once).
    expect((await api().list('eks', 'normal', new URLSearchParams({ grep: 'refused small', type: 'small.*' }))).letters).toHaveLength(1);
    expect(gets).toBe(0);
    const typed = await api().list('eks', 'normal', new URLSearchParams({ type: 'big.*' }));
    expect(typed.letters.map((l) => l.events.map((e) => e.id))).toEqual([[big.id]]);
    expect(gets).toBe(1);
  });

  it('opening the letter reads its payload from S3 once; its whole event once more', async () => {
    const id = (await api().list('eks', 'normal', new URLSearchParams({ grep: 'refused big' }))).letters[0].id;
    gets = 0;
    const opened = await api().letter('eks', 'normal', id);
    expect(gets).toBe(1);
    expect(opened.events.map((e) => [e.id, e.truncated])).toEqual([[big.id, true]]);
    const whole = await api().payload('eks', 'normal', id, big.id);
    expect(gets).toBe(2);
    expect(JSON.parse(whole.payload)).toEqual(big.data);
  });

  it('a redrive still moves the whole message: the lane delivers the claim-checked payload intact', async () => {
    const id = (await api().list('eks', 'normal', new URLSearchParams({ grep: 'refused big' }))).letters[0].id;
    expect(await driver.redrive('normal', [id])).toBe(1);
    const got: QueuedEvent[] = [];
    const consumer = await driver.consume('normal', async (d) => {
      got.push(...d.events);
    }, { concurrency: 1 });
    try {
      await waitFor('the redriven big event', async () => got.some((e) => e.id === big.id), 30_000);
    } finally {
      await consumer.close();
    }
    expect(got.find((e) => e.id === big.id)!.data).toEqual(big.data);
  }, 60_000);
});
