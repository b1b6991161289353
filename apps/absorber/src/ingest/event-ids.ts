import { createHash, randomBytes } from 'node:crypto';

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** UUIDv7: time-ordered, so the ledger's primary key index grows at its right edge. */
export function newEventId(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

/**
 * UUIDv8 derived from (tenant, Idempotency-Key[, index]): a retried request gets the same id even
 * when the first attempt's dedupe record was never written, so the ledger still stops a double effect.
 */
export function idempotentEventId(scope: string, key: string, index?: number): string {
  const bytes = createHash('sha256').update(`${scope}\0${key}\0${index ?? ''}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}
