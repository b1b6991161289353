// The dumps in S3-compatible object storage: one object per dump, newest last by name. The row
// counts a restore is verified against are sealed inside the object (sealed-file.ts), not metadata.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupSettings } from './settings';

export interface StoredDump {
  key: string;
  size: number;
  lastModified: Date;
}

export type RowCounts = Record<string, number>;

export function s3For(s: BackupSettings): S3Client {
  // Hetzner's object storage and emulators are path-style; AWS S3 takes either.
  return new S3Client({ region: s.region, endpoint: s.endpoint, forcePathStyle: Boolean(s.endpoint) });
}

/** `<prefix>2026-11-30T19-40-00-000Z.dump.aes`: sorts by time, and says what it is. */
export function dumpKey(s: BackupSettings, at: Date): string {
  return `${s.prefix}${at.toISOString().replace(/[:.]/g, '-')}.dump.aes`;
}

/** The last part of a key: what a dump is sealed under (sealed-file.ts). */
export const dumpName = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

export async function listDumps(s3: S3Client, s: BackupSettings): Promise<StoredDump[]> {
  const out: StoredDump[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: s.bucket, Prefix: s.prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (o.Key?.endsWith('.dump.aes')) out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

export async function upload(s3: S3Client, s: BackupSettings, key: string, path: string): Promise<void> {
  const { size } = await stat(path);
  await s3.send(
    new PutObjectCommand({
      Bucket: s.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
      ContentType: 'application/octet-stream',
    }),
  );
}

export async function download(s3: S3Client, s: BackupSettings, key: string, path: string): Promise<void> {
  const res = await s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: key }));
  await pipeline(res.Body as Readable, createWriteStream(path));
}

/** Dumps past the retention, never touching the newest `keepMin`. */
export function expired(dumps: StoredDump[], s: BackupSettings, now = new Date()): StoredDump[] {
  const cutoff = now.getTime() - s.retentionDays * 86_400_000;
  return dumps.slice(0, Math.max(0, dumps.length - s.keepMin)).filter((d) => d.lastModified.getTime() < cutoff);
}

export async function remove(s3: S3Client, s: BackupSettings, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: key }));
}
