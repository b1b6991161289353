import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type { QueuedEvent } from '../queue.port';

/**
 * Payloads over the SQS limit go to S3 and the message carries only where they are. Objects are
 * not deleted after handling (a redelivery may still need them); the bucket's lifecycle rule, set
 * by `queues:ensure`, expires them (see claimCheckExpiryDays).
 */
export class ClaimCheck {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  /** Stores the events; the reference records the object's size, so a listing can say it without reading S3. */
  async put(events: QueuedEvent[]): Promise<{ bucket: string; key: string; bytes: number }> {
    const key = `events/${new Date().toISOString().slice(0, 10)}/${randomUUID()}.json`;
    const body = JSON.stringify(events);
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
    return { bucket: this.bucket, key, bytes: Buffer.byteLength(body) };
  }

  async get(claim: { bucket: string; key: string }): Promise<QueuedEvent[]> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: claim.bucket, Key: claim.key }));
    return JSON.parse(await object.Body!.transformToString()) as QueuedEvent[];
  }
}
