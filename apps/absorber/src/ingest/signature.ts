import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Optional webhook-style signatures: `X-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`,
 * as GitHub and others send them. Several secrets may be active at once, for rotation.
 */
export class SignatureVerifier {
  constructor(private readonly secrets: string[]) {}

  get enabled(): boolean {
    return this.secrets.length > 0;
  }

  /** Returns what is wrong, or undefined when the signature matches one of the secrets. */
  problem(rawBody: Buffer | undefined, header: string | undefined): string | undefined {
    if (!this.enabled) return undefined;
    if (!header) return 'missing X-Signature-256 header: send sha256=<hex HMAC-SHA256 of the body>';
    const match = /^sha256=([0-9a-f]{64})$/i.exec(header);
    if (!match) return 'X-Signature-256 must be sha256=<64 hex digits>';
    const given = Buffer.from(match[1], 'hex');
    let ok = false;
    for (const secret of this.secrets) {
      const expected = createHmac('sha256', secret).update(rawBody ?? Buffer.alloc(0)).digest();
      if (timingSafeEqual(expected, given)) ok = true; // no early exit: same time whichever matched
    }
    return ok ? undefined : 'X-Signature-256 does not match the body';
  }
}

export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
