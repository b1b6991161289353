import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Lane } from '@spillway/config';
import { decide, followersRun, HandlerResult, Verdict } from '../delivery-policy';
import { Consumer, DeliveryHandler } from '../queue.port';
import { chunk } from '../timeout';
import { envelopeOf, SqsMessages } from './sqs-messages';
import { Envelope, visibilitySeconds } from './sqs-packing';

export interface LaneConsumerOptions {
  lane: Lane;
  url: string;
  fifo: boolean;
  concurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  leaseMs: number;
  /** Pause after a receive that came back short, so the next one finds a fuller batch. */
  receiveLingerMs: number;
}

interface InFlight {
  receipt: string;
  extendedAt: number;
}

/**
 * One lane's consumption: ceil(concurrency / 10) long-polling loops (ReceiveMessage takes at most
 * 10), a heartbeat that extends the visibility of deliveries still running, and deletes gathered
 * into DeleteMessageBatch calls. What happens to a message after its handler is the delivery
 * policy's verdict (delivery-policy.ts); this carries it out: a retry is a ChangeMessageVisibility
 * (its backoff), so the receive count keeps growing and SQS's own redrive policy still applies.
 */
export class LaneConsumer implements Consumer {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<InFlight>();
  private reserved = 0;
  private stopping = false;
  /** Deliveries waiting out a dependency outage: while any does, the lane receives nothing. */
  private waitingOutOutage = 0;
  private loops: Promise<void>[] = [];
  private heartbeat?: NodeJS.Timeout;
  private waiting: Array<() => void> = [];
  private deletes: string[] = [];
  private deleteTimer?: NodeJS.Timeout;
  private pendingDeletes = new Set<Promise<void>>();

  constructor(
    private readonly client: SQSClient,
    private readonly messages: SqsMessages,
    private readonly handler: DeliveryHandler,
    private readonly options: LaneConsumerOptions,
  ) {}

  start(): void {
    const pollers = Math.ceil(this.options.concurrency / 10);
    for (let i = 0; i < pollers; i++) this.loops.push(this.poll());
    // Extend well before the lease runs out; a worker that dies stops extending and loses it.
    const every = Math.max(500, Math.floor(this.options.leaseMs / 3));
    this.heartbeat = setInterval(() => void this.extend(every), every);
  }

  private get free(): number {
    return this.options.concurrency - this.inFlight.size - this.reserved;
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      if (this.free <= 0 || this.waitingOutOutage > 0) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      const want = Math.min(10, this.free);
      this.reserved += want;
      let received: Message[] = [];
      try {
        const res = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.url,
            MaxNumberOfMessages: want,
            WaitTimeSeconds: 20,
            VisibilityTimeout: visibilitySeconds(this.options.leaseMs),
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
          }),
          { abortSignal: this.abort.signal },
        );
        received = res.Messages ?? [];
      } catch {
        if (!this.stopping) await new Promise((r) => setTimeout(r, 1000)); // broker down: do not spin
      } finally {
        this.reserved -= want;
      }
      this.dispatch(received);
      if (received.length > 0 && received.length < want && !this.stopping) {
        await new Promise((r) => setTimeout(r, this.options.receiveLingerMs));
      }
    }
  }

  /** On FIFO, messages of one group in one receive run one after another, in order. */
  private dispatch(received: Message[]): void {
    const chains = new Map<string, Message[]>();
    received.forEach((m, i) => {
      const key = this.options.fifo ? (m.Attributes?.MessageGroupId ?? String(i)) : String(i);
      chains.set(key, [...(chains.get(key) ?? []), m]);
    });
    for (const chain of chains.values()) {
      const slots = chain.map((m) => ({ receipt: m.ReceiptHandle!, extendedAt: Date.now() }));
      slots.forEach((s) => this.inFlight.add(s));
      void this.runChain(chain, slots);
    }
  }

  /**
   * A FIFO receive can return several messages of one group; SQS has already counted a receive for
   * each. The rest of the group runs once its head is acked or dead-lettered; a head handed back
   * takes the rest back with it, visible at once and unrun (the policy's retry-here keeps a failing
   * head here, so that happens only while closing).
   */
  private async runChain(chain: Message[], slots: InFlight[]): Promise<void> {
    for (let i = 0; i < chain.length; i++) {
      const hasFollowers = i + 1 < chain.length;
      // A verdict that could not be carried out (a dead-letter copy refused) leaves the message to its lease.
      const verdict = await this.run(chain[i], hasFollowers).catch((): Verdict => ({ kind: 'retry', delayMs: 0 }));
      this.release(slots[i]);
      if (hasFollowers && !followersRun(verdict)) {
        await this.setVisibility(chain.slice(i + 1), 0);
        slots.slice(i + 1).forEach((s) => this.release(s));
        return;
      }
    }
  }

  private async sleepUnlessStopping(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
  }

  private release(slot: InFlight): void {
    this.inFlight.delete(slot);
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach((resolve) => resolve());
  }

  /** The message's attempt: SQS's receive count (plus the tries a retry-here made on this receive). */
  private attemptOf(message: Message): number {
    return Number(message.Attributes?.ApproximateReceiveCount ?? '1');
  }

  /**
   * Runs one message until a verdict lets go of it, and carries that verdict out. A hold (the
   * database down) keeps the message in flight (the heartbeat keeps it invisible) and stops the
   * lane receiving until it has run: every receive is an attempt to SQS, so an outage then costs
   * none and cannot push healthy events into the dead-letter queue.
   */
  private async run(message: Message, hasFollowers: boolean): Promise<Verdict> {
    const { lane, maxAttempts } = this.options;
    let holding = false;
    try {
      for (let localTries = 0; ; ) {
        const attempt = this.attemptOf(message) + localTries;
        let envelope: Envelope | undefined;
        let result: HandlerResult = 'ok';
        try {
          envelope = envelopeOf(message.Body);
          await this.handler({ lane, events: await this.messages.eventsOf(envelope), attempt, maxAttempts });
        } catch (error) {
          result = { error };
        }
        const verdict = decide({ attempt, maxAttempts }, result, this.options, { hasFollowers, canWaitMs: this.stopping ? 0 : Infinity });
        switch (verdict.kind) {
          case 'ack':
            this.queueDelete(message.ReceiptHandle!);
            return verdict;
          case 'dead-letter':
            await this.messages.deadLetter(lane, message, envelope, attempt, (result as { error: unknown }).error);
            this.queueDelete(message.ReceiptHandle!);
            return verdict;
          case 'retry':
            await this.setVisibility([message], visibilitySeconds(verdict.delayMs));
            return verdict;
          case 'hand-back':
            // Left to its lease (see the verdict): SQS charges its next receive whenever it comes.
            return verdict;
          case 'hold':
            if (!holding) this.waitingOutOutage++;
            holding = true;
            await new Promise((r) => setTimeout(r, verdict.retryAfterMs));
            continue;
          case 'retry-here':
            localTries++;
            await this.sleepUnlessStopping(verdict.delayMs);
            if (this.stopping) {
              // Closing mid-backoff: the head goes back visible now; its next receive is its next attempt.
              await this.setVisibility([message], 0);
              return { kind: 'retry', delayMs: 0 };
            }
            continue;
        }
      }
    } finally {
      // No wake() here: the message's slot is released right after, and that wakes the receive loop.
      if (holding) this.waitingOutOutage--;
    }
  }

  private async setVisibility(messages: Message[], seconds: number): Promise<void> {
    // Best effort: if this fails the lease simply runs out and the message comes back anyway.
    if (messages.length === 1) {
      await this.client
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.url, ReceiptHandle: messages[0].ReceiptHandle!, VisibilityTimeout: seconds }))
        .catch(() => undefined);
      return;
    }
    for (const part of chunk(messages, 10)) {
      await this.client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.url,
            Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: seconds })),
          }),
        )
        .catch(() => undefined);
    }
  }

  /** Heartbeat: one batch call per 10 long-running deliveries, nothing for quick ones. */
  private async extend(every: number): Promise<void> {
    const due = [...this.inFlight].filter((s) => Date.now() - s.extendedAt >= every);
    if (!due.length) return;
    const seconds = visibilitySeconds(this.options.leaseMs);
    for (const part of chunk(due, 10)) {
      part.forEach((s) => (s.extendedAt = Date.now()));
      await this.client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.url,
            Entries: part.map((s, i) => ({ Id: String(i), ReceiptHandle: s.receipt, VisibilityTimeout: seconds })),
          }),
        )
        .catch(() => undefined);
    }
  }

  /**
   * Deletes wait up to 50 ms to share a DeleteMessageBatch call. A crash before the call
   * only means a redelivery, which the worker's ledger turns into a no-op.
   */
  private queueDelete(receipt: string): void {
    this.deletes.push(receipt);
    if (this.deletes.length >= 10) this.flushDeletes();
    else if (!this.deleteTimer) this.deleteTimer = setTimeout(() => this.flushDeletes(), 50);
  }

  private flushDeletes(): void {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const receipts = this.deletes;
    this.deletes = [];
    for (const part of chunk(receipts, 10)) {
      const call = this.client
        .send(new DeleteMessageBatchCommand({ QueueUrl: this.options.url, Entries: part.map((r, i) => ({ Id: String(i), ReceiptHandle: r })) }))
        .then(() => undefined, () => undefined)
        .finally(() => this.pendingDeletes.delete(call));
      this.pendingDeletes.add(call);
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    // An aborted long poll may have taken messages we never see: they return after the lease.
    this.abort.abort();
    this.wake();
    await Promise.all(this.loops);
    while (this.inFlight.size) await new Promise((r) => setTimeout(r, 20));
    clearInterval(this.heartbeat);
    this.flushDeletes();
    await Promise.all([...this.pendingDeletes]);
  }
}
