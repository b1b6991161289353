// Dumps leave the box only encrypted: AES-256-GCM with a key from the backup's secrets, so the
// object store holds ciphertext, and a changed or truncated object fails authentication on restore.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** File layout: MAGIC, 12-byte IV, ciphertext, 16-byte GCM tag. */
const MAGIC = Buffer.from('SPILLWAY-BACKUP-1\n');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export async function seal(plainPath: string, sealedPath: string, key: Buffer): Promise<void> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const out = createWriteStream(sealedPath);
  out.write(Buffer.concat([MAGIC, iv]));
  await pipeline(createReadStream(plainPath), cipher, out, { end: false });
  await new Promise<void>((resolve, reject) => out.end(cipher.getAuthTag(), () => resolve()).once('error', reject));
}

export class SealError extends Error {}

/** Writes the plaintext only once the tag checks; a wrong key or a changed file throws SealError. */
export async function unseal(sealedPath: string, plainPath: string, key: Buffer): Promise<void> {
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
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new SealError('not a Spillway backup (unknown header)');
  const decipher = createDecipheriv('aes-256-gcm', key, head.subarray(MAGIC.length));
  decipher.setAuthTag(tag);
  try {
    await pipeline(createReadStream(sealedPath, { start: head.length, end: size - TAG_BYTES - 1 }), decipher, createWriteStream(plainPath));
  } catch (err) {
    throw new SealError(`the backup does not authenticate (wrong BACKUP_ENCRYPTION_KEY, or the object was changed): ${(err as Error).message}`);
  }
}
