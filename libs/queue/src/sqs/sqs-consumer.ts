import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Lane } from '../../../config/src';
import { Consumer, DeliveryHandler, DependencyDownError } from '../queue.port';
import { chunk } from '../timeout';
import type { SqsMessages } from './sqs-messages';
import { backoffMs, Envelope, toSeconds } from './sqs-packing';

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

/**
 * done: deleted or dead-lettered; retry-here: failed, to be retried by the chain without a new
 * receive; given-back: visible again (or soon), the rest of its chain must not run before it.
 */
type Outcome = 'done' | 'retry-here' | 'given-back';

interface InFlight {
  receipt: string;
  extendedAt: number;
}

const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * One lane's consumption: ceil(concurrency / 10) long-polling loops (ReceiveMessage takes at most
 * 10), a heartbeat that extends the visibility of deliveries still running, and deletes gathered
 * into DeleteMessageBatch calls. Failures are retried by ChangeMessageVisibility (backoff), so the
 * receive count keeps growing and SQS's own redrive policy still applies.
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
            VisibilityTimeout: toSeconds(this.options.leaseMs, MAX_VISIBILITY_SECONDS),
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
   * A FIFO receive can return several messages of one group; SQS has already counted a receive
   * for each. Handing the followers back when the head fails would charge them a receive they
   * never ran (and after MAX_ATTEMPTS such receives SQS's redrive policy would move them to the
   * DLQ unrun). So the chain keeps them in flight (the heartbeat extends them) and retries the head
   * here after its backoff, counting those local tries in its attempt number, until it succeeds or
   * is dead-lettered; then the followers run on the receive they were charged for.
   */
  private async runChain(chain: Message[], slots: InFlight[]): Promise<void> {
    for (let i = 0; i < chain.length; i++) {
      const hasFollowers = i + 1 < chain.length;
      let outcome: Outcome;
      for (let localTries = 0; ; localTries++) {
        outcome = await this.handle(chain[i], localTries, hasFollowers).catch(() => 'given-back' as const);
        if (outcome !== 'retry-here') break;
        await this.sleepUnlessStopping(backoffMs(this.options.retryBaseMs, this.attemptOf(chain[i]) + localTries));
        if (this.stopping) {
          // Closing mid-wait: give the rest of the chain back now; the head's next receive is its next attempt.
          outcome = 'given-back';
          await this.setVisibility([chain[i]], 0);
          break;
        }
      }
      this.release(slots[i]);
      if (outcome === 'given-back' && hasFollowers) {
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

  private attemptOf(message: Message): number {
    return Number(message.Attributes?.ApproximateReceiveCount ?? '1');
  }

  private retryDelaySeconds(attempt: number): number {
    return toSeconds(backoffMs(this.options.retryBaseMs, attempt), MAX_VISIBILITY_SECONDS);
  }

  private async handle(message: Message, localTries: number, hasFollowers: boolean): Promise<Outcome> {
    const attempt = this.attemptOf(message) + localTries;
    const { lane, maxAttempts } = this.options;
    let envelope: Envelope | undefined;
    try {
      envelope = JSON.parse(message.Body ?? '') as Envelope;
      const events = await this.messages.eventsOf(envelope);
      await this.runWhileDependenciesDown(() => this.handler({ lane, events, attempt, maxAttempts }));
      this.queueDelete(message.ReceiptHandle!);
      return 'done';
    } catch (err) {
      if (err instanceof DependencyDownError) {
        // Closing while the database is down: give the message back now, spending nothing more.
        await this.setVisibility([message], 0);
        return 'given-back';
      }
      if (attempt >= maxAttempts) {
        await this.messages.deadLetter(lane, message, envelope, attempt, err);
        this.queueDelete(message.ReceiptHandle!);
        return 'done';
      }
      if (hasFollowers && !this.stopping) return 'retry-here';
      await this.setVisibility([message], this.retryDelaySeconds(attempt));
      return 'given-back';
    }
  }

  /**
   * SQS counts every receive as an attempt, so a delivery that failed only because the database
   * is down is not handed back: it stays in flight (the heartbeat keeps it invisible), the lane
   * stops receiving until it has run (a timed pause would let a receive slip in at each retry),
   * and the handler runs again after the error's retryAfterMs. An outage then costs no receive
   * and cannot push healthy events into the dead-letter queue.
   */
  private async runWhileDependenciesDown(run: () => Promise<void>): Promise<void> {
    let counted = false;
    try {
      for (;;) {
        try {
          return await run();
        } catch (err) {
          if (!(err instanceof DependencyDownError) || this.stopping) throw err;
          if (!counted) this.waitingOutOutage++;
          counted = true;
          await new Promise((r) => setTimeout(r, err.retryAfterMs));
        }
      }
    } finally {
      // No wake() here: the delivery's slot is released right after, and that wakes the receive loop.
      if (counted) this.waitingOutOutage--;
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
    const seconds = toSeconds(this.options.leaseMs, MAX_VISIBILITY_SECONDS);
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
