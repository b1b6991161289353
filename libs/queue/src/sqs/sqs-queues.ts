import { CreateBucketCommand, HeadBucketCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Lane, LANES, SpillwayConfig } from '@spillway/config';
import { queueName } from './sqs-names';
import { dlqAttributes, laneAttributes, payloadExpiryDays } from './queue-attributes';

export interface EnsureResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

/**
 * An SQS emulator (fauxqs) neither reports nor accepts encryption settings; AWS always reports
 * them. So one the queue does not report at all is left alone on an existing queue.
 */
const ENCRYPTION_ATTRIBUTES = new Set(['SqsManagedSseEnabled']);

/** Resolves (and caches) queue URLs; a missing queue says which command creates it. */
export class QueueUrls {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(private readonly client: SQSClient, private readonly prefix: string) {}

  get(lane: Lane, dlq = false): Promise<string> {
    const name = queueName(this.prefix, lane, dlq);
    let url = this.urls.get(name);
    if (!url) {
      url = this.client.send(new GetQueueUrlCommand({ QueueName: name })).then(
        (r) => r.QueueUrl!,
        (err) => {
          this.urls.delete(name);
          if (err instanceof QueueDoesNotExist || (err as Error).name === 'AWS.SimpleQueueService.NonExistentQueue') {
            throw new Error(`SQS queue ${name} does not exist: run \`npm run queues:ensure\``);
          }
          throw err;
        },
      );
      this.urls.set(name, url);
    }
    return url;
  }
}

async function existingUrl(client: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (err instanceof QueueDoesNotExist || (err as Error).name.includes('NonExistentQueue')) return undefined;
    throw err;
  }
}

function sameValue(name: string, current: string | undefined, wanted: string): boolean {
  if (current === undefined) return false;
  if (name === 'RedrivePolicy') {
    const [a, b] = [JSON.parse(current), JSON.parse(wanted)];
    return a.deadLetterTargetArn === b.deadLetterTargetArn && Number(a.maxReceiveCount) === Number(b.maxReceiveCount);
  }
  return current === wanted;
}

/**
 * Creates the queue, or sets on an existing one only the attributes that differ from this
 * config (a re-run changes nothing, and an emulator that cannot set some attribute is not asked to).
 */
async function ensureQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; result: EnsureResult }> {
  const url = await existingUrl(client, name);
  if (url) {
    const current: Record<string, string> = (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    const changed = Object.fromEntries(
      Object.entries(attributes).filter(([k, v]) => !sameValue(k, current[k], v) && !(ENCRYPTION_ATTRIBUTES.has(k) && !(k in current))),
    );
    if (Object.keys(changed).length === 0) return { url, result: { name, action: 'unchanged' } };
    await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changed }));
    return { url, result: { name, action: 'updated' } };
  }
  const created = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  return { url: created.QueueUrl!, result: { name, action: 'created' } };
}

/**
 * Idempotent (a second run reports `unchanged`): every lane gets its queue and a `-dlq` twin with a RedrivePolicy of
 * maxReceiveCount = MAX_ATTEMPTS, so SQS itself dead-letters what a dying worker never finished.
 */
export async function ensureQueues(config: SpillwayConfig, sqs: SQSClient, s3: S3Client): Promise<EnsureResult[]> {
  const results: EnsureResult[] = [];
  for (const lane of LANES) {
    const dlq = await ensureQueue(sqs, queueName(config.queuePrefix, lane, true), dlqAttributes(lane));
    results.push(dlq.result);
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const main = await ensureQueue(sqs, queueName(config.queuePrefix, lane), laneAttributes(lane, config, arn));
    results.push(main.result);
  }
  results.push(await ensureBucket(s3, config.payloadBucket, claimCheckExpiryDays(config)));
  return results;
}

/**
 * Claim-check objects expire after LEDGER_RETENTION_DAYS, but never before the queues drop the
 * messages that point at them (14 days, plus one).
 */
export function claimCheckExpiryDays(config: SpillwayConfig): number {
  return payloadExpiryDays(config.ledgerRetentionDays);
}

/**
 * The bucket, and its lifecycle rule (expire `events/` objects after `days`), put on every run:
 * the PUT replaces the rule as a whole, so a re-run is harmless and a changed retention applies.
 */
async function ensureBucket(s3: S3Client, bucket: string, days: number): Promise<EnsureResult> {
  const name = `s3://${bucket} (claim checks expire after ${days} days)`;
  let action: EnsureResult['action'] = 'unchanged';
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    action = 'created';
  }
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: { Rules: [{ ID: 'spillway-claim-checks', Status: 'Enabled', Filter: { Prefix: 'events/' }, Expiration: { Days: days } }] },
    }),
  );
  return { name, action };
}
