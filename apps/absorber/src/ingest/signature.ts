import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotAuthenticatedError } from './errors';

export const SIGNATURE_HEADER = 'X-Signature-256';
const FORMAT = 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">';

/**
 * Optional webhook-style signatures, timestamped so that a captured request cannot be replayed
 * after the tolerance (as Stripe and Standard Webhooks sign):
 *
 *   X-Signature-256: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 *
 * `v1` is the hex HMAC-SHA256, under one of the secrets, of the timestamp, a dot and the raw body
 * bytes. Several secrets may be active at once (rotation), and a sender may send several `v1=`
 * entries (one per secret it holds); one match is enough. The timestamp must be within
 * SIGNATURE_TOLERANCE_S of the server's clock, either way.
 */
export class SignatureVerifier {
  constructor(
    private readonly secrets: string[],
    private readonly toleranceS: number,
    private readonly nowS: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  get enabled(): boolean {
    return this.secrets.length > 0;
  }

  /** Throws NotAuthenticatedError naming what is wrong, unless the signature matches in time. */
  check(rawBody: Buffer | undefined, header: string | undefined): void {
    const problem = this.problem(rawBody, header);
    if (problem) throw new NotAuthenticatedError(problem);
  }

  /** Returns what is wrong, or undefined when the signature matches one of the secrets in time. */
  problem(rawBody: Buffer | undefined, header: string | undefined): string | undefined {
    if (!this.enabled) return undefined;
    if (!header) return `missing ${SIGNATURE_HEADER} header: send ${FORMAT}`;
    const parsed = parse(header);
    if (typeof parsed === 'string') return parsed;
    const given = parsed.v1.map((hex) => Buffer.from(hex, 'hex'));
    let ok = false;
    for (const secret of this.secrets) {
      const expected = hmac(secret, parsed.t, rawBody ?? Buffer.alloc(0));
      // No early exit: the same work whichever secret or entry matched.
      for (const g of given) if (timingSafeEqual(expected, g)) ok = true;
    }
    if (!ok) return `${SIGNATURE_HEADER} does not match the body`;
    const skew = Math.abs(this.nowS() - parsed.t);
    if (skew > this.toleranceS) {
      return `${SIGNATURE_HEADER} timestamp is ${skew} s away from the server's clock; the tolerance is ${this.toleranceS} s (sign each request when it is sent)`;
    }
    return undefined;
  }
}

function parse(header: string): { t: number; v1: string[] } | string {
  if (/^sha256=/i.test(header)) {
    return `${SIGNATURE_HEADER}: the untimed sha256=<hex> form is no longer accepted (it can be replayed); send ${FORMAT}`;
  }
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [name, value = ''] = part.trim().split(/=(.*)/s, 2);
    const bad = `${SIGNATURE_HEADER} must be ${FORMAT} (bad "${name}" entry)`;
    if (name === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return bad;
      t = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return bad;
      v1.push(value);
    }
    // Other entries (v0, a later scheme) are skipped, as webhook receivers do.

  }
  if (t === undefined || v1.length === 0) return `${SIGNATURE_HEADER} must be ${FORMAT}`;
  return { t, v1 };
}

function hmac(secret: string, t: number, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

/** The header a sender puts on a request (tests and clients); `t` defaults to now. */
export function sign(secret: string, body: string | Buffer, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${hmac(secret, t, Buffer.isBuffer(body) ? body : Buffer.from(body)).toString('hex')}`;
}
