import { createHash, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { BrokerUnavailableError, EnqueueError, QueuedEvent } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { sleep, testConfig } from './support/env';

/**
 * SqsDriver.enqueue when SQS is slow or failing: what the absorber's 503 (refused) and 504
 * (unknown) rest on. fauxqs cannot be made to hang or to fail a call, so this is a small server
 * speaking the SQS JSON protocol for the two calls an enqueue makes (GetQueueUrl,
 * SendMessageBatch), with the MD5 of each body that the SDK checks on success.
 */
describe('SqsDriver.enqueue against a slow or failing SQS', () => {
  let server: Server;
  let endpoint: string;
  let urlDelayMs = 0;
  let send: 'ok' | 'hang' | '500' = 'ok';
  let queueMissing = false;
  /** Entries holding one of these events are listed as Failed (a sender fault), every time. */
  let refuseIds = new Set<string>();
  let sentIds: string[] = [];
  let sendCalls = 0;

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(body));
  };
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const target = String(req.headers['x-amz-target']);
    if (target.endsWith('.GetQueueUrl')) {
      await sleep(urlDelayMs);
      if (queueMissing) return reply(res, 400, { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
      return reply(res, 200, { QueueUrl: `${endpoint}/000000000000/${JSON.parse(raw).QueueName}` });
    }
    if (!target.endsWith('.SendMessageBatch')) return reply(res, 400, { __type: 'com.amazonaws.sqs#InvalidAction', message: target });
    sendCalls++;
    const entries = JSON.parse(raw).Entries as Array<{ Id: string; MessageBody: string }>;
    if (send === 'hang') return; // never answered: the client gives up
    if (send === '500') return reply(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: 'SQS is having a bad day' });
    const idsOf = (e: { MessageBody: string }) => (JSON.parse(e.MessageBody).events as QueuedEvent[]).map((x) => x.id);
    const [failed, ok] = [entries.filter((e) => idsOf(e).some((id) => refuseIds.has(id))), entries.filter((e) => !idsOf(e).some((id) => refuseIds.has(id)))];
    for (const e of ok) sentIds.push(...idsOf(e));
    reply(res, 200, {
      Successful: ok.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex') })),
      Failed: failed.map((e) => ({ Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'refused by the test' })),
    });
  }

  beforeAll(async () => {
    server = createServer((req, res) => void answer(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    [urlDelayMs, send, sentIds, sendCalls, queueMissing, refuseIds] = [0, 'ok', [], 0, false, new Set()];
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const driverFor = () => new SqsDriver(testConfig({ QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: endpoint, ENQUEUE_TIMEOUT_MS: '400', SQS_SEND_LINGER_MS: '0' }));
  const event = (): QueuedEvent => ({ id: randomUUID(), type: 'send.test', lane: 'normal', data: {}, receivedAt: new Date().toISOString() });
  /** A critical-lane event: on the FIFO lane each key travels in a message of its own. */
  const keyed = (key: string): QueuedEvent => ({ ...event(), lane: 'critical', key });
  const failure = (p: Promise<void>) => p.then(() => undefined, (err: unknown) => err);

  it('a send SQS never answers is unknown once ENQUEUE_TIMEOUT_MS has passed, after one request: the sender does not retry by itself', async () => {
    send = 'hang';
    const driver = driverFor();
    try {
      const e = event();
      const started = Date.now();
      const err = await failure(driver.enqueue('normal', [e]));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toBeInstanceOf(EnqueueError);
      expect([...(err as EnqueueError).unknown]).toEqual([e.id]);
      expect((err as EnqueueError).held.size).toBe(0);
      await sleep(1000);
      expect(sendCalls).toBe(1);
    } finally {
      await driver.close();
    }
  });

  it('a send SQS answers with a 5xx is unknown, after one request', async () => {
    send = '500';
    const driver = driverFor();
    try {
      const e = event();
      const err = await failure(driver.enqueue('normal', [e]));
      expect(err).toBeInstanceOf(EnqueueError);
      expect([...(err as EnqueueError).unknown]).toEqual([e.id]);
      expect(sendCalls).toBe(1);
    } finally {
      await driver.close();
    }
  });

  it('an enqueue that waited behind a slow send for over ENQUEUE_TIMEOUT_MS is refused, and nothing of it is sent', async () => {
    urlDelayMs = 1000; // the lane's first send looks its queue up, slowly
    const driver = driverFor();
    try {
      const [first, late] = [event(), event()];
      const a = driver.enqueue('normal', [first]);
      await sleep(50);
      const b = failure(driver.enqueue('normal', [late]));
      await a; // the slow send itself goes through
      const err = await b;
      expect(err).toBeInstanceOf(BrokerUnavailableError);
      expect(err).not.toBeInstanceOf(EnqueueError); // nothing of it held or unknown: refused whole
      expect((err as Error).message).toMatch(/waited over 400 ms behind a slow SQS send; nothing was sent/);
      expect(sentIds).toEqual([first.id]);
      // The lane is not stuck: the next enqueue goes out at once.
      const next = event();
      await driver.enqueue('normal', [next]);
      expect(sentIds).toEqual([first.id, next.id]);
    } finally {
      await driver.close();
    }
  });

  it('enqueues while a send is in flight go out together in the next call, each sent once', async () => {
    urlDelayMs = 200;
    const driver = driverFor();
    try {
      const events = Array.from({ length: 6 }, event);
      await Promise.all([driver.enqueue('normal', [events[0]]), ...events.slice(1).map(async (e, i) => (await sleep(20 + i * 5), driver.enqueue('normal', [e])))]);
      await sleep(300);
      expect(sentIds.sort()).toEqual(events.map((e) => e.id).sort());
      expect(sendCalls).toBe(2); // the first alone, the five that waited in one call
    } finally {
      await driver.close();
    }
  });

  it('in a shared call, each caller learns its own events\' fate: all held resolves, one refused rejects naming which', async () => {
    urlDelayMs = 200; // the lane's first send is slow, so the next two enqueues share one call
    const driver = driverFor();
    try {
      const [first, a, b, c] = [keyed('first'), keyed('a'), keyed('b'), keyed('c')];
      refuseIds = new Set([b.id]);
      const slow = driver.enqueue('critical', [first]);
      await sleep(50);
      const [whole, mixed] = [failure(driver.enqueue('critical', [a])), failure(driver.enqueue('critical', [b, c]))];
      await slow;
      expect(await whole).toBeUndefined();
      const err = await mixed;
      expect(err).toBeInstanceOf(EnqueueError);
      // The error is the shared call's (a is listed held too): c held, b refused (in neither set).
      const { held, unknown } = err as EnqueueError;
      expect([held.has(c.id), held.has(b.id), unknown.has(b.id), unknown.size]).toEqual([true, false, false, 0]);
      expect((err as Error).message).toMatch(/refused by the test/);
      expect(sentIds.sort()).toEqual([first.id, a.id, c.id].sort());
    } finally {
      await driver.close();
    }
  });

  it('an enqueue to a lane whose queue is gone is refused whole, naming the lane and why, and sends nothing', async () => {
    queueMissing = true;
    const driver = driverFor();
    try {
      const err = await failure(driver.enqueue('normal', [event()]));
      expect(err).toBeInstanceOf(BrokerUnavailableError);
      expect(err).not.toBeInstanceOf(EnqueueError);
      expect((err as Error).message).toMatch(/^enqueue to normal failed: .*does not exist/);
      expect(sendCalls).toBe(0);
    } finally {
      await driver.close();
    }
  });
});
