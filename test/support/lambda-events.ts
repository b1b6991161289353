import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** An invocation's context with only what the entry point reads: the time left. */
export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now() } as Context;
}

/**
 * What Lambda's event source mapping does with the emulator's queue: receives with every system
 * attribute and turns each message into an SQSRecord shaped as Lambda documents it.
 */
export class EventSourceMapping {
  private arn?: string;
  readonly url: Promise<string>;

  constructor(readonly client: SQSClient, readonly queueName: string, private readonly region: string) {
    this.url = client.send(new GetQueueUrlCommand({ QueueName: queueName })).then((r) => r.QueueUrl!);
  }

  static client(endpoint: string, region: string): SQSClient {
    return new SQSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  private async queueArn(): Promise<string> {
    this.arn ??= (await this.client.send(new GetQueueAttributesCommand({ QueueUrl: await this.url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return this.arn;
  }

  async receive(max = 10, visibilitySeconds = 30): Promise<SQSRecord[]> {
    const res = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 1,
        VisibilityTimeout: visibilitySeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const arn = await this.queueArn();
    return (res.Messages ?? []).map((m) => this.record(m, arn));
  }

  /** Receives until every message whose body names one of `eventIds` is in hand (they are few). */
  async receiveEvents(eventIds: string[], options: { deleteEach?: boolean } = {}): Promise<SQSRecord[]> {
    const wanted = new Set(eventIds);
    const records: SQSRecord[] = [];
    for (let round = 0; wanted.size && round < 30; round++) {
      for (const record of await this.receive()) {
        records.push(record);
        for (const id of eventIdsOf(record)) wanted.delete(id);
        if (options.deleteEach) await this.delete(record);
      }
    }
    if (wanted.size) throw new Error(`the queue ${this.queueName} never returned events ${[...wanted].join(', ')}`);
    return records;
  }

  private record(m: Message, arn: string): SQSRecord {
    const a = m.Attributes ?? {};
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount!,
        SentTimestamp: a.SentTimestamp!,
        SenderId: a.SenderId ?? 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp!,
        ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
        ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
        ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody!,
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: this.region,
    };
  }

  /** After the function returns, the mapping deletes every record it did not return. */
  async settle(records: SQSRecord[], response: SQSBatchResponse): Promise<void> {
    const returned = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const r of records) if (!returned.has(r.messageId)) await this.delete(r);
  }

  async delete(record: SQSRecord): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: await this.url, ReceiptHandle: record.receiptHandle })).catch(() => undefined);
  }

  /** A lease that runs out: the message is visible again (and its next receive counts). */
  async release(record: SQSRecord): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: await this.url, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 }));
  }
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** The event ids a record's body carries inline (none for a claim check). */
export function eventIdsOf(record: SQSRecord): string[] {
  const body = JSON.parse(record.body) as { events?: Array<{ id: string }> };
  return (body.events ?? []).map((e) => e.id);
}
