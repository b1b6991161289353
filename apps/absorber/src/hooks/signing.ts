import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * True when any of `given` equals the HMAC of `parts` under any of `secrets` (rotation). Every
 * pair is compared, each in constant time, so the time taken does not say which secret or entry
 * matched; a length mismatch (a malformed signature) is known from the format anyway.
 */
export function anyHmacMatches(
  algorithm: 'sha256' | 'sha1',
  secrets: ReadonlyArray<string | Buffer>,
  parts: ReadonlyArray<string | Buffer>,
  given: readonly Buffer[],
): boolean {
  let ok = false;
  for (const secret of secrets) {
    const mac = createHmac(algorithm, secret);
    for (const part of parts) mac.update(part);
    const expected = mac.digest();
    for (const g of given) if (g.length === expected.length && timingSafeEqual(g, expected)) ok = true;
  }
  return ok;
}

/** Decodes hex or base64 without throwing; garbage gives bytes that simply match nothing. */
export function fromHex(text: string): Buffer {
  return /^[0-9a-f]+$/i.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : Buffer.alloc(0);
}

export function fromBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** A stale or future timestamp: how a replayed request is refused. */
export function timestampProblem(headerName: string, value: string | undefined, nowS: number, toleranceS: number): string | undefined {
  if (!value || !/^\d{1,12}$/.test(value)) return `${headerName}: missing or not a Unix timestamp in seconds`;
  const skew = Math.abs(nowS - Number(value));
  if (skew > toleranceS) {
    return `${headerName}: timestamp is ${skew} s away from the server's clock; the tolerance is ${toleranceS} s (a stale or replayed request)`;
  }
  return undefined;
}

/**
 * The identity of a delivery whose sender signs neither an id nor a timestamp: a digest of exactly
 * what the signature covers. A replay of the same bytes, whatever unsigned headers it carries
 * (a new delivery id, another event type), maps to the same id and applies once.
 */
export function digestId(...signed: ReadonlyArray<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of signed) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
}
