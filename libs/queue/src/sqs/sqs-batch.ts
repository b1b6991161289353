import { Logger } from '@nestjs/common';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Lane } from '@spillway/config';
import { decide, followersRun, HandlerResult, PolicySettings } from '../delivery-policy';
import type { DeliveryHandler } from '../queue.port';
import { envelopeOf, SqsMessages } from './sqs-messages';
import { isFifoLane, queueName } from './sqs-names';
import { Envelope, visibilitySeconds } from './sqs-packing';

/** Kept back at the end of an invocation to write dead letters and return the batch in time. */
const TIME_MARGIN_MS = 3000;

export interface SqsBatchOptions extends PolicySettings {
  queuePrefix: string;
  maxAttempts: number;
  /** The lanes whose queues feed this function; a record from any other queue is returned unrun. */
  lanes: readonly Lane[];
  /** Chains (a Standard record, or a FIFO group's records) run at once. */
  concurrency: number;
}

/** How the batch consumer reaches the queue a record came from: the SQS driver's own calls. */
export interface SqsBatchBroker {
  messages: SqsMessages;
  /** Best effort: if it fails the record comes back when its lease runs out anyway. */
  setVisibility(lane: Lane, receiptHandles: string[], seconds: number): Promise<void>;
}

/**
 * One SQS batch from Lambda's event source mapping (ReportBatchItemFailures), under the delivery
 * policy as the pod's LaneConsumer: the attempt is the record's ApproximateReceiveCount (plus the
 * tries a FIFO head made here); a verdict that lets go of a record without deleting it (retry,
 * hand-back) returns it in `batchItemFailures`. The invocation's time left, less TIME_MARGIN_MS,
 * is how long a record can be kept (a hold, a FIFO head's retry-here).
 */
export class SqsBatchConsumer {
  private readonly logger = new Logger(SqsBatchConsumer.name);
  private readonly lanesByQueue: Map<string, Lane>;

  constructor(
    private readonly broker: SqsBatchBroker,
    private readonly handler: DeliveryHandler,
    private readonly options: SqsBatchOptions,
  ) {
    this.lanesByQueue = new Map(options.lanes.map((lane) => [queueName(options.queuePrefix, lane), lane]));
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
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, waiting.length) }, runner));
    return { batchItemFailures: records.filter((r) => returned.has(r)).map((r) => ({ itemIdentifier: r.messageId })) };
  }

  /** The lane whose queue the record came from; a queue not among the configured lanes' is refused. */
  private laneOf(record: SQSRecord): Lane | undefined {
    const queue = record.eventSourceARN.split(':').pop() ?? '';
    const lane = this.lanesByQueue.get(queue);
    if (!lane) {
      // A string: the Nest logger's error() takes no fields.
      this.logger.error(
        `message ${record.messageId} returned unrun: it comes from queue "${queue}", but WORKER_LANES=${this.options.lanes.join(',')} reads only ${[...this.lanesByQueue.keys()].join(', ')}`,
      );
    }
    return lane;
  }

  /** A Standard lane's chain is one record; a FIFO group's runs on after an ack or a dead letter only. */
  private async runChain(lane: Lane, chain: SQSRecord[], returned: Set<SQSRecord>, timeLeft: () => number): Promise<void> {
    for (let i = 0; i < chain.length; i++) {
      if (await this.run(lane, chain[i], i + 1 < chain.length, timeLeft)) continue;
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
      await this.broker.setVisibility(lane, rest.map((r) => r.receiptHandle), 0);
      return;
    }
  }

  /** Runs one record until a verdict lets go of it and carries that out; true when it is done (acked or dead-lettered). */
  private async run(lane: Lane, record: SQSRecord, hasFollowers: boolean, timeLeft: () => number): Promise<boolean> {
    const { maxAttempts } = this.options;
    for (let localTries = 0; ; ) {
      const attempt = (Number(record.attributes.ApproximateReceiveCount) || 1) + localTries;
      if (timeLeft() < TIME_MARGIN_MS) {
        this.logger.warn({ msg: `lane ${lane}: message ${record.messageId} returned unrun: the invocation is out of time`, lane, messageId: record.messageId, attempt });
        return false;
      }
      let envelope: Envelope | undefined;
      let result: HandlerResult = 'ok';
      try {
        envelope = envelopeOf(record.body);
        const events = await this.broker.messages.eventsOf(envelope);
        try {
          await this.handler({ lane, events, attempt, maxAttempts });
        } catch (error) {
          result = { error };
        }
      } catch (error) {
        // The handler logs its own failures; an unreadable message or claim check is logged here.
        result = { error };
        this.logger.warn({ msg: `lane ${lane}: message ${record.messageId} unreadable on attempt ${attempt} of ${maxAttempts}`, lane, messageId: record.messageId, attempt, error: (error as Error).message ?? String(error) });
      }
      const verdict = decide({ attempt, maxAttempts }, result, this.options, { hasFollowers, canWaitMs: timeLeft() - TIME_MARGIN_MS });
      switch (verdict.kind) {
        case 'hold':
          await new Promise((r) => setTimeout(r, verdict.retryAfterMs));
          continue;
        case 'retry-here':
          localTries++;
          await new Promise((r) => setTimeout(r, verdict.delayMs));
          continue;
        case 'dead-letter':
          try {
            const message = { MessageId: record.messageId, Body: record.body, Attributes: { MessageGroupId: record.attributes.MessageGroupId } };
            await this.broker.messages.deadLetter(lane, message, envelope, attempt, (result as { error: unknown }).error);
          } catch (dlqErr) {
            this.logger.error(`lane ${lane}: message ${record.messageId} returned: its dead-letter copy was not written: ${(dlqErr as Error).message}`);
            return false;
          }
          break;
        case 'hand-back':
          // Left hidden to its lease (see the verdict): an early redelivery would find Postgres down too.
          this.logger.warn({ msg: `lane ${lane}: message ${record.messageId} returned: ${(result as { error: Error }).error.message}, and the invocation is out of time`, lane, messageId: record.messageId, attempt });
          break;
        case 'retry':
          await this.broker.setVisibility(lane, [record.receiptHandle], visibilitySeconds(verdict.delayMs));
          break;
      }
      // Acked or dead-lettered: the record is done (deleted by the mapping) and the rest of its group runs.
      return followersRun(verdict);
    }
  }
}
