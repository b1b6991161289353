import { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  Message,
  QueueAttributeName,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Lane, SpillwayConfig } from '@spillway/config';
import {
  BrokerUnavailableError,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeliveryHandler,
  LaneDepth,
  QueueCapabilities,
  QueueDriver,
  QueuedEvent,
} from '../queue.port';
import { chunk, withTimeout } from '../timeout';
import { joinOutcomes, outcomeOf } from '../enqueue-outcome';
import { ClaimCheck } from './claim-check';
import { ApiCallCounter, createS3Client, createSqsClient } from './sqs-clients';
import { SqsBatchConsumer } from './sqs-batch';
import { LaneConsumer } from './sqs-consumer';
import { SqsMessages } from './sqs-messages';
import { FIFO_LANES, isFifoLane } from './sqs-names';
import { ensureQueues, EnsureResult, QueueUrls } from './sqs-queues';
import { dedupeIdOf, Envelope, packEvents, SQS_MAX_BYTES } from './sqs-packing';

const DEPTH_ATTRIBUTES: QueueAttributeName[] = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'];
/**
 * Readiness on SQS: an answer from SQS to any call of this driver (a send, a long poll, a shedder
 * read) this recent stands for a ping, so an idle replica's probes cost at most two calls a minute.
 * Any failed call clears it, so an outage is seen by the next probe after the first failure.
 */
export const SQS_PING_FRESH_MS = 30_000;
/** How many batches of 10 a redrive by id receives at most while looking for its letters. */
const REDRIVE_ROUNDS = 100;

interface LaneWriter {
  busy: boolean;
  lastSendAt: number;
  waiting: Array<{ events: QueuedEvent[]; since: number; resolve: () => void; reject: (err: unknown) => void }>;
}

/**
 * SQS: `<prefix>-critical.fifo` (ordered per key) and Standard `<prefix>-normal`, `<prefix>-low`,
 * each with a `-dlq` twin. A message carries many events (packed per FIFO group), sends and deletes
 * go in batches of 10, so a busy lane costs well under one API call per event.
 */
export class SqsDriver implements QueueDriver {
  readonly name = 'sqs';
  /** Static so the contract tests can decide what applies before a driver connects. */
  static readonly CAPABILITIES: QueueCapabilities = {
    orderedLanes: [...FIFO_LANES],
    dedupeLanes: [...FIFO_LANES],
    dedupeWindowSeconds: 300,
    maxMessageBytes: SQS_MAX_BYTES,
    nativeDeadLetter: true,
    // Every receive counts towards maxReceiveCount, a dead worker's included.
    stallsCountAsAttempts: true,
    exactDepth: false,
    oldestAge: false,
  };
  readonly capabilities = SqsDriver.CAPABILITIES;

  readonly apiCalls = new ApiCallCounter();
  private readonly producer: SQSClient;
  private readonly sender: SQSClient;
  private readonly consumerClient: SQSClient;
  private readonly s3: S3Client;
  private readonly urls: QueueUrls;
  private readonly messages: SqsMessages;
  private readonly consumers = new Set<LaneConsumer>();
  private readonly writers = new Map<Lane, LaneWriter>();
  private connected = false;

  constructor(private readonly config: SpillwayConfig) {
    this.producer = createSqsClient(config, this.apiCalls, { sockets: 64, requestTimeoutMs: 10_000, maxAttempts: 3 });
    // Sends get a client of their own whose requests end at ENQUEUE_TIMEOUT_MS, so a slow SQS
    // cannot pile writes up, and that never retries by itself: after one attempt a failed send's
    // fate is known (refused) or honestly unknown; the sender retries with its Idempotency-Key.
    this.sender = createSqsClient(config, this.apiCalls, { sockets: 64, requestTimeoutMs: config.enqueueTimeoutMs, maxAttempts: 1 });
    // Long polls wait up to 20 s for messages.
    this.consumerClient = createSqsClient(config, this.apiCalls, { sockets: 256, requestTimeoutMs: 30_000, maxAttempts: 3 });
    this.s3 = createS3Client(config, this.apiCalls);
    this.urls = new QueueUrls(this.producer, config.queuePrefix);
    this.messages = new SqsMessages(this.sender, this.urls, new ClaimCheck(this.s3, config.payloadBucket));
  }

  /** Creates or updates the queues, DLQs and payload bucket (`npm run queues:ensure`). */
  ensureQueues(): Promise<EnsureResult[]> {
    return ensureQueues(this.config, this.producer, this.s3);
  }

  isConnected(): boolean {
    return this.connected;
  }

  async waitUntilConnected(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.ping().then(() => true, () => false)) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  /**
   * Group commit: while one write to a lane is in flight (or one went out less than
   * SQS_SEND_LINGER_MS ago), later enqueues wait and then go out together. Idle, nothing waits;
   * busy, each SendMessageBatch carries many more events.
   */
  enqueue(lane: Lane, events: QueuedEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let writer = this.writers.get(lane);
      if (!writer) this.writers.set(lane, (writer = { busy: false, lastSendAt: 0, waiting: [] }));
      writer.waiting.push({ events, since: Date.now(), resolve, reject });
      if (!writer.busy) void this.drain(lane, writer);
    });
  }

  /**
   * One send per lane at a time, until it settles (bounded by the sender's request timeout).
   * Enqueues that waited longer than ENQUEUE_TIMEOUT_MS behind a slow send are refused before
   * anything of theirs is written; each other caller learns the fate of its own events.
   */
  private async drain(lane: Lane, writer: LaneWriter): Promise<void> {
    writer.busy = true;
    while (writer.waiting.length) {
      // Busy lane (a send moments ago): linger briefly so this call carries more events.
      const since = Date.now() - writer.lastSendAt;
      if (since < this.config.sqsSendLingerMs) await new Promise((r) => setTimeout(r, this.config.sqsSendLingerMs - since));
      writer.lastSendAt = Date.now();
      const stale = writer.lastSendAt - this.config.enqueueTimeoutMs;
      const group = writer.waiting.splice(0).filter((w) => {
        if (w.since >= stale) return true;
        w.reject(new BrokerUnavailableError(`enqueue to ${lane} waited over ${this.config.enqueueTimeoutMs} ms behind a slow SQS send; nothing was sent`));
        return false;
      });
      if (!group.length) continue;
      try {
        await this.send(lane, group.flatMap((w) => w.events));
        group.forEach((w) => w.resolve());
      } catch (err) {
        group.forEach((w) => (w.events.every((e) => outcomeOf(err, e.id) === 'held') ? w.resolve() : w.reject(err)));
      }
    }
    writer.busy = false;
  }

  /** Resolves when every event is held; otherwise an EnqueueError says which are held or unknown. */
  private async send(lane: Lane, events: QueuedEvent[]): Promise<void> {
    const fifo = isFifoLane(lane);
    const packs = packEvents(events, fifo);
    const outgoing = packs.map((pack) => ({
      envelope: { events: pack.events },
      groupId: pack.groupId,
      dedupeId: dedupeIdOf(pack.events),
    }));
    let url: string;
    try {
      url = await this.urls.get(lane);
    } catch (err) {
      throw new BrokerUnavailableError(`enqueue to ${lane} failed: ${(err as Error).message}`, err);
    }
    const reports = await this.messages.sendReporting(url, fifo, outgoing);
    if (reports.some((r) => r.outcome === 'held')) this.connected = true;
    const error = joinOutcomes(
      lane,
      reports.map((r, i) => (r.outcome === 'held' ? { events: packs[i].events } : { events: packs[i].events, error: new Error(r.reason), unknown: r.outcome === 'unknown' })),
    );
    if (error) throw error;
  }

  async consume(lane: Lane, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const { maxAttempts, retryBaseMs, leaseMs, sqsReceiveLingerMs } = this.config;
    const url = await this.urls.get(lane);
    const consumer = new LaneConsumer(this.consumerClient, this.messages, handler, {
      lane, url, fifo: isFifoLane(lane), concurrency: options.concurrency, maxAttempts, retryBaseMs, leaseMs, receiveLingerMs: sqsReceiveLingerMs,
    });
    consumer.start();
    this.consumers.add(consumer);
    return {
      close: async () => {
        await consumer.close();
        this.consumers.delete(consumer);
      },
    };
  }

  /**
   * For Lambda, whose messages come from its event source mapping rather than a LaneConsumer: the
   * batches of `lanes`' queues, each record run by `handler` under the same delivery policy.
   */
  batchConsumer(handler: DeliveryHandler, options: { lanes: readonly Lane[]; concurrency: number }): SqsBatchConsumer {
    const { queuePrefix, maxAttempts, retryBaseMs } = this.config;
    const broker = { messages: this.messages, setVisibility: (lane: Lane, receipts: string[], seconds: number) => this.setVisibility(lane, receipts, seconds) };
    return new SqsBatchConsumer(broker, handler, { queuePrefix, maxAttempts, retryBaseMs, ...options });
  }

  /** Best effort, as in the consumer: if it fails, the message comes back when its visibility timeout runs out anyway. */
  private async setVisibility(lane: Lane, receiptHandles: string[], seconds: number): Promise<void> {
    if (!receiptHandles.length) return;
    const url = await this.urls.get(lane).catch(() => undefined);
    if (!url) return;
    for (const part of chunk(receiptHandles, 10)) {
      await this.consumerClient
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: part.map((r, i) => ({ Id: String(i), ReceiptHandle: r, VisibilityTimeout: seconds })) }))
        .catch(() => undefined);
    }
  }

  private async attributes(lane: Lane, dlq: boolean, names: QueueAttributeName[] = DEPTH_ATTRIBUTES): Promise<Record<string, string>> {
    const res = await this.producer.send(new GetQueueAttributesCommand({ QueueUrl: await this.urls.get(lane, dlq), AttributeNames: names }));
    return res.Attributes ?? {};
  }

  /** One GetQueueAttributes on the lane's queue (not its DLQ), asking only the two counts shedding adds. */
  async backlog(lane: Lane): Promise<Pick<LaneDepth, 'waiting' | 'delayed'>> {
    const main = await this.attributes(lane, false, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed']);
    return { waiting: Number(main.ApproximateNumberOfMessages ?? 0), delayed: Number(main.ApproximateNumberOfMessagesDelayed ?? 0) };
  }

  /** Approximate, as SQS counts; messages in a retry backoff are invisible, so they show as active. */
  async depth(lane: Lane): Promise<LaneDepth> {
    const [main, dead] = await Promise.all([this.attributes(lane, false), this.attributes(lane, true)]);
    const n = (attrs: Record<string, string>, name: string) => Number(attrs[name] ?? 0);
    return {
      waiting: n(main, 'ApproximateNumberOfMessages'),
      delayed: n(main, 'ApproximateNumberOfMessagesDelayed'),
      active: n(main, 'ApproximateNumberOfMessagesNotVisible'),
      deadLettered: n(dead, 'ApproximateNumberOfMessages') + n(dead, 'ApproximateNumberOfMessagesNotVisible'),
    };
  }

  private receiveDead(url: string, max: number, visibilitySeconds: number): Promise<Message[]> {
    return this.producer
      .send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: 1,
          VisibilityTimeout: visibilitySeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        }),
      )
      .then((r) => r.Messages ?? []);
  }

  /** No S3 read: a claim-checked letter is listed with its reference and no events (see withEvents). */
  private toDeadLetter(lane: Lane, m: Message): DeadLetter {
    const envelope = JSON.parse(m.Body ?? '{}') as Envelope;
    return {
      id: m.MessageId!,
      lane,
      events: envelope.events ?? [],
      ...(!envelope.events && envelope.claim ? { claim: envelope.claim } : {}),
      attempts: envelope.attempts ?? this.config.maxAttempts,
      // No recorded error: SQS moved it itself, after receives that never finished (worker died).
      lastError: envelope.lastError ?? `moved by the SQS redrive policy after ${this.config.maxAttempts} receives without a recorded failure (worker stopped or timed out)`,
      failedAt: envelope.failedAt ?? new Date(0).toISOString(),
    };
  }

  /**
   * SQS has no peek: receives with a short visibility until the DLQ answers empty (so each round
   * sees new letters), then makes every one visible again. On the FIFO DLQ a group's later
   * letters stay hidden behind the ones received (SQS holds a group while any is in flight); the
   * broker's count in depth() still includes them.
   */
  async deadLetters(lane: Lane, limit: number): Promise<DeadLetter[]> {
    const url = await this.urls.get(lane, true);
    const seen = new Map<string, Message>();
    try {
      while (seen.size < limit) {
        const got = await this.receiveDead(url, limit - seen.size, 30);
        const fresh = got.filter((m) => !seen.has(m.MessageId!));
        fresh.forEach((m) => seen.set(m.MessageId!, m));
        if (!fresh.length) break;
      }
    } finally {
      for (const part of chunk([...seen.values()], 10)) {
        await this.producer
          .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })) }))
          .catch(() => undefined); // they come back visible after 30 s anyway
      }
    }
    return [...seen.values()].slice(0, limit).map((m) => this.toDeadLetter(lane, m));
  }

  /** Reads a claim-checked letter's events from S3 (one GetObject); a letter holding its events is returned as is. */
  async withEvents(letter: DeadLetter): Promise<DeadLetter> {
    if (!letter.claim) return letter;
    const { claim, ...rest } = letter;
    return { ...rest, events: await this.messages.eventsOf({ claim }) };
  }

  /**
   * Sends dead letters back to their lane, then deletes them (a crash in between only duplicates).
   * With ids: receives up to REDRIVE_ROUNDS batches, keeping the letters not asked for hidden
   * while it looks (so each receive sees new ones), and makes those visible again at once when
   * done. On the FIFO DLQ a letter behind a hidden one of its group shows only once that is gone,
   * so asking by id may need a second call.
   */
  async redrive(lane: Lane, ids?: readonly string[]): Promise<number> {
    const dlqUrl = await this.urls.get(lane, true);
    const url = await this.urls.get(lane);
    const wanted = ids ? new Set(ids) : undefined;
    const passed: Message[] = [];
    let moved = 0;
    try {
      for (let round = 0; !wanted || (wanted.size > 0 && round < REDRIVE_ROUNDS); round++) {
        const letters = await this.receiveDead(dlqUrl, 10, 30);
        if (!letters.length) break;
        const take = letters.filter((m) => !wanted || wanted.has(m.MessageId!));
        passed.push(...letters.filter((m) => !take.includes(m)));
        take.forEach((m) => wanted?.delete(m.MessageId!));
        if (take.length) moved += await this.sendBack(lane, dlqUrl, url, take, moved);
      }
    } finally {
      await this.showAgain(dlqUrl, passed).catch(() => undefined); // visible after 30 s anyway
    }
    return moved;
  }

  /** Sends letters to the lane; deletes from the DLQ only those the lane holds; throws if any stayed. */
  private async sendBack(lane: Lane, dlqUrl: string, url: string, letters: Message[], movedBefore: number): Promise<number> {
    const reports = await this.messages.sendReporting(
      url,
      isFifoLane(lane),
      letters.map((m) => {
        const { events, claim } = JSON.parse(m.Body ?? '{}') as Envelope;
        // A fresh dedupe id: the original's may still be inside FIFO's 5-minute window.
        return { envelope: events ? { events } : { claim }, groupId: m.Attributes?.MessageGroupId, dedupeId: `${m.MessageId}-redrive` };
      }),
    );
    // Only a letter the lane now holds leaves the DLQ; one refused or of unknown fate stays there.
    const held = letters.filter((_, i) => reports[i].outcome === 'held');
    if (held.length) {
      await this.producer.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: held.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    const left = reports.filter((r) => r.outcome !== 'held');
    if (left.length) {
      // Listed again at once (not after the receive's 30 s), for the operator who retries.
      await this.showAgain(dlqUrl, letters.filter((_, i) => reports[i].outcome !== 'held'));
      const reasons = [...new Set(left.map((r) => r.reason ?? r.outcome))].join('; ');
      throw new Error(`redrive of lane ${lane} stopped after moving ${movedBefore + held.length}: ${left.length} letter(s) not taken back: ${reasons}; they stay in the dead-letter queue`);
    }
    return held.length;
  }

  /** Makes received dead letters visible again now. */
  private async showAgain(dlqUrl: string, letters: Message[]): Promise<void> {
    for (const part of chunk(letters, 10)) {
      await this.producer.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: dlqUrl, Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })) }),
      );
    }
  }

  /**
   * Receives dead letters and deletes those asked for (all, or by MessageId); the others are made
   * visible again at once. On the FIFO DLQ a letter behind others of its group shows only once
   * those are gone, so asking by id may need a second call.
   */
  async discardDeadLetters(lane: Lane, ids?: readonly string[]): Promise<number> {
    const url = await this.urls.get(lane, true);
    const wanted = ids ? new Set(ids) : undefined;
    let removed = 0;
    for (let round = 0; round < 100 && (!wanted || wanted.size > 0); round++) {
      const letters = await this.receiveDead(url, 10, 30);
      if (!letters.length) break;
      const drop = letters.filter((m) => !wanted || wanted.has(m.MessageId!));
      const keep = letters.filter((m) => !drop.includes(m));
      if (drop.length) {
        await this.producer.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: drop.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        drop.forEach((m) => wanted?.delete(m.MessageId!));
        removed += drop.length;
      }
      if (keep.length) {
        await this.producer.send(
          new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: keep.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })) }),
        );
        if (!drop.length) break; // only letters we were not asked about came back
      }
    }
    return removed;
  }

  /** SQS serves ApproximateAgeOfOldestMessage only through CloudWatch, not the queue API. */
  async oldestAgeSeconds(): Promise<undefined> {
    return undefined;
  }

  /**
   * Resolves if SQS answered a call within SQS_PING_FRESH_MS, else asks it (one GetQueueAttributes);
   * pings at the same moment (a probe and a scrape) share that one call.
   */
  ping(): Promise<void> {
    if (Date.now() - this.apiCalls.lastAnswerAt < SQS_PING_FRESH_MS) {
      this.connected = true;
      return Promise.resolve();
    }
    this.pinging ??= this.askSqs().finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  private pinging?: Promise<void>;

  private async askSqs(): Promise<void> {
    try {
      const url = await withTimeout(this.urls.get('critical'), 1000, () => new Error('SQS did not answer in time'));
      await withTimeout(
        this.producer.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
        1000,
        () => new Error('SQS did not answer in time'),
      );
      this.connected = true;
    } catch (err) {
      this.connected = false;
      throw new BrokerUnavailableError(`SQS unreachable: ${(err as Error).message}`, err);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.producer.destroy();
    this.sender.destroy();
    this.consumerClient.destroy();
    this.s3.destroy();
  }
}
