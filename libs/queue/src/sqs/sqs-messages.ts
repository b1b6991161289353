import { Message, SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { Lane } from '@spillway/config';
import { QueuedEvent, UnrecoverableError } from '../queue.port';
import { errorText } from '../timeout';
import type { ClaimCheck } from './claim-check';
import { isFifoLane } from './sqs-names';
import type { QueueUrls } from './sqs-queues';
import { Envelope, SQS_MAX_BYTES } from './sqs-packing';
import { SentReport, sendEntries } from './sqs-send';

/** One message to send. `dedupeId` and `groupId` matter on FIFO queues only. */
export interface Outgoing {
  envelope: Envelope;
  groupId?: string;
  dedupeId?: string;
}

const LAST_ERROR_CHARS = 8000;

/** A message body's envelope; a body that is not JSON never will be, so no retry can read it. */
export function envelopeOf(body: string | undefined): Envelope {
  try {
    return JSON.parse(body ?? '') as Envelope;
  } catch (err) {
    throw new UnrecoverableError(`not JSON: ${(err as Error).message}`);
  }
}

/** Writing messages: sends (with claim check) and dead-letter copies. */
export class SqsMessages {
  constructor(
    private readonly client: SQSClient,
    private readonly urls: QueueUrls,
    private readonly claims: ClaimCheck,
  ) {}

  async eventsOf(envelope: Envelope): Promise<QueuedEvent[]> {
    if (envelope.events) return envelope.events;
    if (envelope.claim) return this.claims.get(envelope.claim);
    throw new UnrecoverableError('message holds neither events nor a claim check');
  }

  /** Sends the messages in SendMessageBatch calls; resolves only when SQS accepted every one. */
  async send(url: string, fifo: boolean, outgoing: Outgoing[]): Promise<void> {
    const reports = await this.sendReporting(url, fifo, outgoing);
    const failed = reports.filter((r) => r.outcome !== 'held');
    if (failed.length) throw new Error(`SQS did not take ${failed.length} message(s): ${[...new Set(failed.map((r) => r.reason))].join('; ')}`);
  }

  /** Sends the messages and reports each one's fate (held, refused, unknown); never throws. */
  async sendReporting(url: string, fifo: boolean, outgoing: Outgoing[]): Promise<SentReport[]> {
    const built = await Promise.allSettled(outgoing.map((o, i) => this.entry(String(i), fifo, o)));
    const ready = built.flatMap((b, i) => (b.status === 'fulfilled' ? [{ i, ...b.value }] : []));
    const sent = await sendEntries(this.client, url, ready);
    // A message whose claim-check object could not be stored was never sent.
    const reports: SentReport[] = built.map((b) =>
      b.status === 'rejected' ? { outcome: 'refused', reason: `claim check not stored: ${(b.reason as Error).message}` } : { outcome: 'unknown' },
    );
    ready.forEach((r, k) => (reports[r.i] = sent[k]));
    return reports;
  }

  private async entry(id: string, fifo: boolean, o: Outgoing): Promise<{ entry: SendMessageBatchRequestEntry; bytes: number }> {
    let body = JSON.stringify(o.envelope);
    if (Buffer.byteLength(body) > SQS_MAX_BYTES - 1024 && o.envelope.events) {
      const { events, ...rest } = o.envelope;
      body = JSON.stringify({ ...rest, claim: await this.claims.put(events) });
    }
    const entry: SendMessageBatchRequestEntry = { Id: id, MessageBody: body };
    if (fifo) {
      entry.MessageGroupId = o.groupId;
      entry.MessageDeduplicationId = o.dedupeId;
    }
    return { entry, bytes: Buffer.byteLength(body) + 200 };
  }

  /** The driver's own dead-letter copy, carrying the last error SQS's redrive could not record. */
  async deadLetter(lane: Lane, message: Message, envelope: Envelope | undefined, attempts: number, err: unknown): Promise<void> {
    const copy: Envelope = {
      ...(envelope ?? { events: [] }),
      lastError: (envelope ? errorText(err) : `unreadable message body: ${errorText(err)}\n${message.Body}`).slice(0, LAST_ERROR_CHARS),
      attempts,
      failedAt: new Date().toISOString(),
    };
    const groupId = message.Attributes?.MessageGroupId;
    await this.send(await this.urls.get(lane, true), isFifoLane(lane), [{ envelope: copy, groupId, dedupeId: `${message.MessageId}-dead` }]);
  }
}
