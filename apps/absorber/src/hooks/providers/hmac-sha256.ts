import { header, HookProvider, HookRequest } from '../provider';
import { jsonObject, stringAt } from '../payload';
import { anyHmacMatches, digestId, fromHex, timestampProblem } from '../signing';

/**
 * Any sender that can compute an HMAC (docs/webhooks.md#hmac-sha256):
 * `X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, the same timestamped
 * scheme as Spillway's own X-Signature-256, so a captured request cannot be replayed after the
 * tolerance. The headers are not signed, so what names the event comes from the body first:
 * type: the body's `type`, else `X-Webhook-Type`; id: the body's `id`, else the body's digest (a
 * replay within the tolerance, with any `X-Webhook-Id` or type header, applies once; the headers
 * stay in `headers`); key: `X-Webhook-Key`.
 */
export const hmacSha256: HookProvider = {
  keptHeaders: ['x-webhook-id', 'x-webhook-type', 'x-webhook-key'],

  verify(request: HookRequest, source) {
    const value = header(request, 'x-webhook-signature');
    if (!value) return 'X-Webhook-Signature: missing; send t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">';
    let t: string | undefined;
    const v1: Buffer[] = [];
    for (const part of value.split(',')) {
      const at = part.indexOf('=');
      const name = part.slice(0, at).trim();
      if (name === 't') t = part.slice(at + 1).trim();
      else if (name === 'v1') v1.push(fromHex(part.slice(at + 1).trim()));
    }
    if (!t || v1.length === 0) return 'X-Webhook-Signature: must be t=<unix seconds>,v1=<hex>';
    if (!anyHmacMatches('sha256', source.secrets, [`${t}.`, request.raw], v1)) {
      return 'X-Webhook-Signature: no v1 matches the body under any secret of this source';
    }
    return timestampProblem('X-Webhook-Signature t', t, request.nowS, request.toleranceS);
  },

  derive(request) {
    const payload = jsonObject(request.raw);
    return {
      kind: 'event',
      type: stringAt(payload, 'type') ?? header(request, 'x-webhook-type') ?? 'unknown',
      deliveryId: stringAt(payload, 'id') ?? digestId(request.raw),
      key: header(request, 'x-webhook-key'),
      payload,
    };
  },
};
