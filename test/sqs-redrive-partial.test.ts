import { randomUUID } from 'node:crypto';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueueDriver, queueName, QueuedEvent } from '@spillway/queue';
import { freshDriver } from './support/drivers';
import { EmulatorProxy } from './support/emulator-proxy';

/**
 * SQS redrive when the lane takes only part of a batch back. fauxqs never refuses an entry, so
 * the driver talks to it through a small proxy that lists the entries carrying a chosen event as
 * Failed (a sender fault, as SQS answers) and forwards the rest of the batch, and every other
 * call, unchanged.
 */
describe('SQS redrive: a send that fails part-way', () => {
  const fauxqs = process.env.SQS_ENDPOINT!;
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: fauxqs, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let proxy: EmulatorProxy;
  let refuse = new Set<string>();

  beforeAll(async () => {
    proxy = await EmulatorProxy.start(fauxqs);
    // A batch send with a refused event: the rest of the batch goes on to fauxqs, the refused
    // entries are added to its answer as Failed.
    proxy.intercept = async (req) => {
      if (!req.target.endsWith('.SendMessageBatch')) return undefined;
      const batch = JSON.parse(req.body.toString()) as { Entries: Array<{ Id: string; MessageBody: string }> };
      const refused = (e: { MessageBody: string }) => (JSON.parse(e.MessageBody).events as QueuedEvent[]).some((x) => refuse.has(x.id));
      const ok = batch.Entries.filter((e) => !refused(e));
      const failed = batch.Entries.filter(refused).map((e) => ({ Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'refused by the test' }));
      const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': req.target };
      const sent = ok.length ? JSON.parse((await proxy.forward(fauxqs, { ...req, body: Buffer.from(JSON.stringify({ ...batch, Entries: ok })) }, headers)).body.toString()) : {};
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ Successful: sent.Successful ?? [], Failed: [...(sent.Failed ?? []), ...failed] }) };
    };
  });
  afterAll(async () => {
    sqs.destroy();
    await proxy.close();
  });

  const event = (): QueuedEvent => ({ id: randomUUID(), type: 'redrive.test', lane: 'normal', data: {}, receivedAt: new Date().toISOString() });
  const idsIn = async (url: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let round = 0; round < 5; round++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30, WaitTimeSeconds: 0 }));
      for (const m of got.Messages ?? []) ids.push(...(JSON.parse(m.Body!).events as QueuedEvent[]).map((e) => e.id));
      if (!got.Messages?.length) break;
    }
    return ids.sort();
  };

  it('moves the letters the lane took, leaves the refused one in the DLQ, and says so', async () => {
    let driver: QueueDriver | undefined;
    try {
      driver = await freshDriver('sqs', { SQS_ENDPOINT: proxy.url });
      const prefix = (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix;
      const url = async (dlq: boolean) => (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(prefix, 'normal', dlq) }))).QueueUrl!;
      const events = [event(), event(), event()];
      const body = (e: QueuedEvent) => JSON.stringify({ events: [e], attempts: 3, lastError: 'Error: boom', failedAt: '2026-12-01T00:00:00.000Z' });
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: await url(true), Entries: events.map((e, i) => ({ Id: String(i), MessageBody: body(e) })) }));
      refuse = new Set([events[1].id]);

      await expect(driver.redrive('normal')).rejects.toThrow(
        /redrive of lane normal stopped after moving 2: 1 letter\(s\) not taken back: SQS refused the message \(InvalidParameterValue: refused by the test\); they stay in the dead-letter queue/,
      );
      // The refused letter was not sent, so it was not deleted; the two sent are on the lane only.
      expect(await idsIn(await url(true))).toEqual([events[1].id]);
      expect(await idsIn(await url(false))).toEqual([events[0].id, events[2].id].sort());
    } finally {
      refuse = new Set();
      await driver?.close();
    }
  });
});
