import { SendMessageBatchCommand, SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { EventOutcome } from '../enqueue-outcome';
import { batchEntries } from './sqs-packing';

/** One message's fate; `reason` is set when it is not held. */
export interface SentReport {
  outcome: EventOutcome;
  reason?: string;
}

/**
 * True when a failed SQS call certainly wrote nothing: the connection was refused, or SQS answered
 * with a 4xx, on the first and only attempt. A timeout, a reset, a 5xx, or any error after a retry
 * (an earlier attempt may have landed) leaves the outcome unknown.
 */
export function certainlyNotSent(err: unknown): boolean {
  const e = err as { code?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
  if ((e.$metadata?.attempts ?? 1) > 1) return false;
  // The SDK sometimes wraps the socket error in one that keeps only its text.
  if (e.code === 'ECONNREFUSED' || /\bconnect ECONNREFUSED\b/.test(e.message ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/**
 * SendMessageBatch calls of at most 10 entries and 1 MiB, each entry's fate reported on its own:
 * an entry SQS lists as Failed is retried once, then refused (SQS did not store it); a call that
 * errors leaves its entries refused or unknown by `certainlyNotSent`. Never throws.
 */
export async function sendEntries(
  client: SQSClient,
  url: string,
  entries: Array<{ entry: SendMessageBatchRequestEntry; bytes: number }>,
): Promise<SentReport[]> {
  const reports: SentReport[] = entries.map(() => ({ outcome: 'unknown' }));
  const index = new Map(entries.map((e, i) => [e.entry.Id!, i]));
  await Promise.all(
    batchEntries(entries).map(async (batch) => {
      let pending = batch.map((e) => e.entry);
      for (let round = 0; round < 2 && pending.length; round++) {
        try {
          const res = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: pending }));
          for (const ok of res.Successful ?? []) reports[index.get(ok.Id!)!] = { outcome: 'held' };
          const failed = new Map((res.Failed ?? []).map((f) => [f.Id!, `${f.Code}: ${f.Message}`]));
          for (const [id, reason] of failed) reports[index.get(id)!] = { outcome: 'refused', reason: `SQS refused the message (${reason})` };
          pending = pending.filter((e) => failed.has(e.Id!));
        } catch (err) {
          const outcome = certainlyNotSent(err) ? 'refused' : 'unknown';
          for (const e of pending) reports[index.get(e.Id!)!] = { outcome, reason: (err as Error).message };
          return;
        }
      }
    }),
  );
  return reports;
}
