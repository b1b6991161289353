import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { Lane, SPILLWAY_CONFIG, SpillwayConfig } from '../../../../libs/config/src';
import { Delivery, DependencyDownError, QUEUE_DRIVER, queueName } from '../../../../libs/queue/src';
import type { SqsDriver } from '../../../../libs/queue/src/sqs/sqs.driver';
import { isFifoLane } from '../../../../libs/queue/src/sqs/sqs-names';
import { backoffMs, Envelope, toSeconds } from '../../../../libs/queue/src/sqs/sqs-packing';
import { DeliveryProcessor } from '../delivery.processor';

/** Kept back at the end of an invocation to write dead letters and return the batch in time. */
const TIME_MARGIN_MS = 3000;
const MAX_VISIBILITY_SECONDS = 43_200;

type Outcome = 'done' | 'returned';

/**
 * One SQS batch from Lambda's event source mapping, with the pod worker's rules (LaneConsumer):
 * the attempt is the record's ApproximateReceiveCount; a failure on attempt MAX_ATTEMPTS writes
 * the driver's dead-letter copy with its error and counts as done; an earlier failure is returned
 * (ReportBatchItemFailures) and hidden for the same backoff as on a pod. On the FIFO lane a
 * group's records run in order and a failure returns the rest of its group unrun.
 */
@Injectable()
export class SqsBatch {
  private readonly logger = new Logger(SqsBatch.name);
  private readonly lanesByQueue: Map<string, Lane>;
  /**
   * Chains run at once. A delivery holds one pooled connection, and when it fails DeliveryProcessor
   * asks Postgres on another whether it is up: with every connection held, that check would time
   * out and a handler's error would pass for an outage. So two connections per chain.
   */
  private readonly concurrency: number;

  constructor(
    @Inject(SPILLWAY_CONFIG) private readonly config: SpillwayConfig,
    @Inject(QUEUE_DRIVER) private readonly driver: SqsDriver,
    private readonly processor: DeliveryProcessor,
  ) {
    this.lanesByQueue = new Map(config.workerLanes.map((lane) => [queueName(config.queuePrefix, lane), lane]));
    this.concurrency = Math.max(1, Math.floor(config.dbPoolMax / 2));
  }

  async handle(records: SQSRecord[], timeLeft: () => number): Promise<SQSBatchResponse> {
    const returned = new Set<SQSRecord>();
    const chains = new Map<string, { lane: Lane; records: SQSRecord[] }>();
    records.forEach((record, i) => {
      const lane = this.laneOf(record);
      if (!lane) {
        returned.add(record);
        return;
      }
      const key = isFifoLane(lane) ? `${lane}\u0000${record.attributes.MessageGroupId}` : String(i);
      const chain = chains.get(key) ?? { lane, records: [] };
      chain.records.push(record);
      chains.set(key, chain);
    });
    const waiting = [...chains.values()];
    const runner = async () => {
      for (let chain = waiting.shift(); chain; chain = waiting.shift()) await this.runChain(chain.lane, chain.records, returned, timeLeft);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, waiting.length) }, runner));
    return { batchItemFailures: records.filter((r) => returned.has(r)).map((r) => ({ itemIdentifier: r.messageId })) };
  }

  /** The lane whose queue the record came from; a queue not among WORKER_LANES' is refused. */
  private laneOf(record: SQSRecord): Lane | undefined {
    const queue = record.eventSourceARN.split(':').pop() ?? '';
    const lane = this.lanesByQueue.get(queue);
    if (!lane) {
      // A string: the Nest logger's error() takes no fields.
      this.logger.error(
        `message ${record.messageId} returned unrun: it comes from queue "${queue}", but WORKER_LANES=${this.config.workerLanes.join(',')} reads only ${[...this.lanesByQueue.keys()].join(', ')}`,
      );
    }
    return lane;
  }

  /** A Standard lane's chain is one record; a FIFO group's stops at its first returned record. */
  private async runChain(lane: Lane, chain: SQSRecord[], returned: Set<SQSRecord>, timeLeft: () => number): Promise<void> {
    for (let i = 0; i < chain.length; i++) {
      if ((await this.runRecord(lane, chain[i], timeLeft)) === 'done') continue;
      returned.add(chain[i]);
      const rest = chain.slice(i + 1);
      if (!rest.length) return;
      rest.forEach((r) => returned.add(r));
      this.logger.warn({
        msg: `lane ${lane}: ${rest.length} later message(s) of group ${chain[i].attributes.MessageGroupId} returned unrun behind message ${chain[i].messageId}`,
        lane,
        messageIds: rest.map((r) => r.messageId),
      });
      // As on a pod: the group waits for its head (hidden for its backoff), not for these leases.
      await this.driver.setVisibility(lane, rest.map((r) => r.receiptHandle), 0);
      return;
    }
  }

  private async runRecord(lane: Lane, record: SQSRecord, timeLeft: () => number): Promise<Outcome> {
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    const { maxAttempts } = this.config;
    if (timeLeft() < TIME_MARGIN_MS) {
      this.logger.warn({ msg: `lane ${lane}: message ${record.messageId} returned unrun: the invocation is out of time`, lane, messageId: record.messageId, attempt });
      return 'returned';
    }
    let envelope: Envelope | undefined;
    let delivery: Delivery | undefined;
    try {
      envelope = JSON.parse(record.body) as Envelope;
      delivery = { lane, events: await this.driver.messages.eventsOf(envelope), attempt, maxAttempts };
      await this.whileDatabaseDown(delivery, timeLeft);
      return 'done';
    } catch (err) {
      const error = (err as Error).message ?? String(err);
      if (err instanceof DependencyDownError) {
        // Left hidden until its lease ends: an immediate redelivery would find Postgres down too.
        this.logger.warn({ msg: `lane ${lane}: message ${record.messageId} returned: ${error}, and the invocation is out of time`, lane, messageId: record.messageId, attempt });
        return 'returned';
      }
      // DeliveryProcessor has logged a handler's failure; an unreadable message or claim check is logged here.
      if (!delivery) {
        this.logger.warn({ msg: `lane ${lane}: message ${record.messageId} unreadable on attempt ${attempt} of ${maxAttempts}`, lane, messageId: record.messageId, attempt, error });
      }
      if (attempt >= maxAttempts) {
        try {
          await this.driver.messages.deadLetter(lane, { MessageId: record.messageId, Body: record.body, Attributes: { MessageGroupId: record.attributes.MessageGroupId } }, envelope, attempt, err);
          return 'done';
        } catch (dlqErr) {
          this.logger.error(`lane ${lane}: message ${record.messageId} returned: its dead-letter copy was not written: ${(dlqErr as Error).message}`);
          return 'returned';
        }
      }
      const seconds = toSeconds(backoffMs(this.config.retryBaseMs, attempt), MAX_VISIBILITY_SECONDS);
      await this.driver.setVisibility(lane, [record.receiptHandle], seconds);
      return 'returned';
    }
  }

  /**
   * SQS counts every receive as an attempt, so a delivery that failed only because Postgres is down
   * is tried again here while the invocation has time, as a pod keeps it in flight; only then is
   * it returned (DependencyDownError rethrown).
   */
  private async whileDatabaseDown(delivery: Delivery, timeLeft: () => number): Promise<void> {
    for (;;) {
      try {
        return await this.processor.process(delivery);
      } catch (err) {
        if (!(err instanceof DependencyDownError) || timeLeft() - err.retryAfterMs < TIME_MARGIN_MS) throw err;
        await new Promise((r) => setTimeout(r, err.retryAfterMs));
      }
    }
  }
}
