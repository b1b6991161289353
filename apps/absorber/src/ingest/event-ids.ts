import { Injectable } from '@nestjs/common';
import { hash, randomFillSync } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function format(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[i]];
  }
  return s;
}

// Entropy is drawn from the CSPRNG in blocks of 256 ids rather than one call per id: under load a
// randomBytes(16) per event was 4-6% of the absorber's CPU (crypto.randomUUID pools the same way).
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;
const scratch = new Uint8Array(16);

/** UUIDv7: time-ordered, so the ledger's primary key index grows at its right edge. */
export function newEventId(now = Date.now()): string {
  if (poolOffset === POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  // 48-bit big-endian milliseconds, then random bits with the version and variant set.
  const high = Math.floor(now / 0x100000000);
  const low = now >>> 0;
  scratch[0] = (high >>> 8) & 0xff;
  scratch[1] = high & 0xff;
  scratch[2] = low >>> 24;
  scratch[3] = (low >>> 16) & 0xff;
  scratch[4] = (low >>> 8) & 0xff;
  scratch[5] = low & 0xff;
  for (let i = 6; i < 16; i++) scratch[i] = POOL[poolOffset + i];
  poolOffset += 16;
  scratch[6] = (scratch[6] & 0x0f) | 0x70;
  scratch[8] = (scratch[8] & 0x3f) | 0x80;
  return format(scratch);
}

/**
 * UUIDv8 derived from (tenant, Idempotency-Key, generation[, index]): a retried request within the
 * key's window gets the same ids, so even when the broker got the first attempt the ledger stops a
 * double effect. `generation` changes when the key is reused after its window, so a reused key
 * makes new events rather than ids the ledger would drop as already applied. Without a
 * generation (records written before generations existed) the ids are the original derivation.
 */
export function idempotentEventId(scope: string, key: string, index?: number, generation?: number): string {
  const input = generation === undefined ? `${scope}\0${key}\0${index ?? ''}` : `${scope}\0${key}\0${index ?? ''}\0g${generation}`;
  const bytes = hash('sha256', input, 'buffer').subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

/** The ids an accepted event gets, as an injectable part of ingest (see IngestService). */
@Injectable()
export class EventIds {
  /** An event without an Idempotency-Key: time-ordered and random. */
  fresh(now: number): string {
    return newEventId(now);
  }

  /** An event of a keyed request: the same on every retry of the key within its generation. */
  keyed(scope: string, key: string, index: number | undefined, generation: number | undefined): string {
    return idempotentEventId(scope, key, index, generation);
  }
}
