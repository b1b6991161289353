import { createHash, randomUUID } from 'node:crypto';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';

/**
 * A small in-process SQS, for the one behaviour the emulator (fauxqs) cannot show: a FIFO receive
 * that returns SEVERAL messages of one group. fauxqs returns at most one message per group per
 * receive; real SQS returns several, in order, and then holds the group until every one of them is
 * deleted or visible again. The rules followed here are SQS's documented ones:
 * - FIFO: messages of a group are returned in send order; while any message of a group is in
 *   flight (received, not deleted, visibility not expired) no message of that group is returned.
 * - Every receive adds 1 to ApproximateReceiveCount and gives a new receipt handle.
 * - Redrive policy: a message received more than maxReceiveCount times is moved to the DLQ at the
 *   receive that would exceed it, instead of being returned.
 * - ChangeMessageVisibility(0) makes a message visible now; N seconds hides it N seconds.
 * - FIFO send: a repeat of a MessageDeduplicationId within 5 minutes is accepted and dropped.
 * It answers the commands the lane consumer and SqsMessages send, through `send(command)`, so the
 * real consumer code runs unchanged against it.
 */
interface Stored {
  id: string;
  body: string;
  groupId?: string;
  receiveCount: number;
  firstReceiveAt?: number;
  visibleAt: number;
  receipt?: string;
  sentAt: number;
}

interface FakeQueue {
  name: string;
  fifo: boolean;
  messages: Stored[];
  dedupe: Map<string, number>;
  redrive?: { dlq: string; maxReceiveCount: number };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export class FifoSqsFake {
  readonly queues = new Map<string, FakeQueue>();
  /** The commands sent, by name, in order. */
  readonly calls: string[] = [];
  /** The same commands with their input and when they came. */
  readonly requests: Array<{ name: string; input: Record<string, any>; at: number }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** How long a DeleteMessageBatch takes to answer (it deletes at the answer). */
  deleteDelayMs = 0;

  createQueue(name: string, redrive?: { dlq: string; maxReceiveCount: number }): string {
    this.queues.set(name, { name, fifo: name.endsWith('.fifo'), messages: [], dedupe: new Map(), redrive });
    return this.url(name);
  }

  url(name: string): string {
    return `http://fake-sqs/000000000000/${name}`;
  }

  private queue(url: string): FakeQueue {
    const q = this.queues.get(url.split('/').pop()!);
    if (!q) throw Object.assign(new Error(`no queue ${url}`), { name: 'QueueDoesNotExist' });
    return q;
  }

  /** The client the production code gets: only `send` is used. */
  get client(): SQSClient {
    return { send: (command: { constructor: { name: string }; input: unknown }, options?: { abortSignal?: AbortSignal }) => this.send(command, options) } as unknown as SQSClient;
  }

  private async send(command: { constructor: { name: string }; input: unknown }, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    this.calls.push(name);
    const input = command.input as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    this.requests.push({ name, input, at: Date.now() });
    switch (name) {
      case 'GetQueueUrl':
        if (!this.queues.has(input.QueueName)) throw Object.assign(new Error('no such queue'), { name: 'QueueDoesNotExist' });
        return { QueueUrl: this.url(input.QueueName) };
      case 'SendMessageBatch':
        return this.sendBatch(this.queue(input.QueueUrl), input.Entries);
      case 'ReceiveMessage':
        return this.receive(this.queue(input.QueueUrl), input.MaxNumberOfMessages ?? 1, input.VisibilityTimeout ?? 30, input.WaitTimeSeconds ?? 0, options?.abortSignal);
      case 'ChangeMessageVisibility':
        this.changeVisibility(this.queue(input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout);
        return {};
      case 'ChangeMessageVisibilityBatch':
        for (const e of input.Entries) this.changeVisibility(this.queue(input.QueueUrl), e.ReceiptHandle, e.VisibilityTimeout);
        return { Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] };
      case 'DeleteMessageBatch': {
        if (this.deleteDelayMs) await new Promise((r) => setTimeout(r, this.deleteDelayMs));
        const q = this.queue(input.QueueUrl);
        for (const e of input.Entries) q.messages = q.messages.filter((m) => m.receipt !== e.ReceiptHandle);
        return { Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] };
      }
      default:
        throw new Error(`FifoSqsFake does not implement ${name}`);
    }
  }

  private sendBatch(q: FakeQueue, entries: Array<{ Id: string; MessageBody: string; MessageGroupId?: string; MessageDeduplicationId?: string }>) {
    const now = Date.now();
    const successful = [];
    for (const e of entries) {
      if (q.fifo && (!e.MessageGroupId || !e.MessageDeduplicationId)) throw new Error('FIFO send needs MessageGroupId and MessageDeduplicationId');
      const id = randomUUID();
      const seen = q.fifo ? q.dedupe.get(e.MessageDeduplicationId!) : undefined;
      if (seen === undefined || now - seen > 300_000) {
        if (q.fifo) q.dedupe.set(e.MessageDeduplicationId!, now);
        q.messages.push({ id, body: e.MessageBody, groupId: e.MessageGroupId, receiveCount: 0, visibleAt: 0, sentAt: now });
      }
      successful.push({ Id: e.Id, MessageId: id, MD5OfMessageBody: md5(e.MessageBody) });
    }
    return { Successful: successful, Failed: [] };
  }

  private async receive(q: FakeQueue, max: number, visibilitySeconds: number, waitSeconds: number, abort?: AbortSignal): Promise<{ Messages?: Message[] }> {
    const deadline = Date.now() + Math.min(waitSeconds, 2) * 1000;
    for (;;) {
      if (abort?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      const got = this.take(q, max, visibilitySeconds);
      if (got.length || Date.now() >= deadline) return got.length ? { Messages: got } : {};
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private take(q: FakeQueue, max: number, visibilitySeconds: number): Message[] {
    const now = Date.now();
    const blocked = new Set(q.messages.filter((m) => q.fifo && m.visibleAt > now).map((m) => m.groupId));
    const out: Message[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now || (q.fifo && blocked.has(m.groupId))) continue;
      if (q.redrive && m.receiveCount >= q.redrive.maxReceiveCount) {
        // The redrive policy: this receive would exceed maxReceiveCount, so SQS moves it instead.
        q.messages = q.messages.filter((x) => x !== m);
        const dlq = this.queues.get(q.redrive.dlq)!;
        dlq.messages.push({ ...m, receiveCount: 0, visibleAt: 0, receipt: undefined, firstReceiveAt: undefined });
        continue;
      }
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.receipt = randomUUID();
      m.visibleAt = now + visibilitySeconds * 1000;
      out.push({
        MessageId: m.id,
        ReceiptHandle: m.receipt,
        Body: m.body,
        MD5OfBody: md5(m.body),
        Attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
          ...(m.groupId ? { MessageGroupId: m.groupId } : {}),
        },
      });
    }
    return out;
  }

  private changeVisibility(q: FakeQueue, receipt: string, seconds: number): void {
    const m = q.messages.find((x) => x.receipt === receipt);
    if (!m) throw Object.assign(new Error('receipt handle is invalid or expired'), { name: 'ReceiptHandleIsInvalid' });
    m.visibleAt = Date.now() + seconds * 1000;
  }

  /** Whether each message a queue holds could be received now (not in flight, not hidden). */
  visibleNow(name: string): boolean[] {
    return this.queues.get(name)!.messages.map((m) => m.visibleAt <= Date.now());
  }

  /** What a queue holds now, in order: body and receive count. */
  contents(name: string): Array<{ body: string; receiveCount: number }> {
    return this.queues.get(name)!.messages.map((m) => ({ body: m.body, receiveCount: m.receiveCount }));
  }
}
