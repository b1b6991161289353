// Dumps leave the box only encrypted: AES-256-GCM with a key from the backup's secrets, so the
// object store holds ciphertext, and a changed, truncated or renamed object fails authentication on
// restore. The row counts travel inside the ciphertext (the manifest), never as object metadata.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RowCounts } from './object-store';

/**
 * File layout: MAGIC, 12-byte IV, ciphertext, 16-byte GCM tag. The plaintext is a 4-byte length,
 * the manifest (JSON), then the pg_dump file. The additional data is MAGIC, the IV and the object's
 * name, so the same bytes stored under another name (another time) do not authenticate.
 */
const MAGIC = Buffer.from('SPILLWAY-BACKUP-2\n');
const MAGIC_V1 = Buffer.from('SPILLWAY-BACKUP-1\n');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_MANIFEST_BYTES = 1 << 20;

/** What a dump says about itself, authenticated with it. */
export interface Manifest {
  /** The object's name (the last part of its key), which carries the time it was taken. */
  name: string;
  takenAt: string;
  /** Row count of every public table, in the dump's own snapshot. */
  counts: RowCounts;
}

const additionalData = (head: Buffer, name: string) => Buffer.concat([head, Buffer.from(`name=${name}\n`)]);

export async function seal(plainPath: string, sealedPath: string, key: Buffer, manifest: Manifest): Promise<void> {
  const iv = randomBytes(IV_BYTES);
  const head = Buffer.concat([MAGIC, iv]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additionalData(head, manifest.name));
  const json = Buffer.from(JSON.stringify(manifest));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const out = createWriteStream(sealedPath);
  out.write(head);
  async function* plaintext() {
    yield Buffer.concat([length, json]);
    yield* createReadStream(plainPath);
  }
  await pipeline(Readable.from(plaintext()), cipher, out, { end: false });
  await new Promise<void>((resolve, reject) => out.end(cipher.getAuthTag(), () => resolve()).once('error', reject));
}

export class SealError extends Error {}

/** Takes the length-prefixed manifest off the front of the plaintext; passes the dump on. */
class ManifestSplitter extends Transform {
  private head = Buffer.alloc(0);
  manifest?: Buffer;

  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.manifest) return done(null, chunk);
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < 4) return done();
    const n = this.head.readUInt32BE(0);
    if (n > MAX_MANIFEST_BYTES) return done(new SealError("the backup's manifest is too large"));
    if (this.head.length < 4 + n) return done();
    this.manifest = this.head.subarray(4, 4 + n);
    const rest = this.head.subarray(4 + n);
    this.head = Buffer.alloc(0);
    done(null, rest.length ? rest : undefined);
  }
}

/**
 * Decrypts into a temporary file beside `plainPath` and renames it into place only once the tag
 * checks; on any failure the temporary file is deleted and nothing is left at `plainPath`.
 * `name` is the object's name the dump was sealed under. A wrong key, a changed file or another
 * name throws SealError.
 */
export async function unseal(sealedPath: string, plainPath: string, key: Buffer, name: string): Promise<Manifest> {
  const handle = await open(sealedPath, 'r');
  let size: number;
  const head = Buffer.alloc(MAGIC.length + IV_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    size = (await handle.stat()).size;
    if (size < head.length + TAG_BYTES) throw new SealError('not a Spillway backup (too short)');
    await handle.read(head, 0, head.length, 0);
    await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, MAGIC_V1.length).equals(MAGIC_V1)) {
    throw new SealError('this dump is in the first backup format (row counts outside the ciphertext), which this version no longer restores; see docs/hetzner.md');
  }
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new SealError('not a Spillway backup (unknown header)');
  const decipher = createDecipheriv('aes-256-gcm', key, head.subarray(MAGIC.length));
  decipher.setAAD(additionalData(head, name));
  decipher.setAuthTag(tag);
  const unverified = `${plainPath}.unverified`;
  const splitter = new ManifestSplitter();
  try {
    await pipeline(createReadStream(sealedPath, { start: head.length, end: size - TAG_BYTES - 1 }), decipher, splitter, createWriteStream(unverified));
  } catch (err) {
    await rm(unverified, { force: true });
    throw new SealError(`the backup does not authenticate as ${name} (wrong BACKUP_ENCRYPTION_KEY, or the object was changed or renamed): ${(err as Error).message}`);
  }
  // The tag checked: the manifest and the dump are the ones sealed under this name.
  const manifest = JSON.parse(splitter.manifest?.toString() ?? 'null') as Manifest | null;
  if (!manifest || manifest.name !== name) {
    await rm(unverified, { force: true });
    throw new SealError(`the backup's manifest names ${manifest?.name ?? 'nothing'}, not ${name}`);
  }
  await rename(unverified, plainPath);
  return manifest;
}
