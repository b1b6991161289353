import { header, HookProvider, HookRequest } from '../provider';
import { jsonObject, stringAt } from '../payload';
import { anyHmacMatches, fromBase64, timestampProblem } from '../signing';

/** `whsec_<base64>`: the key is the decoded base64, as the spec says. */
const keyOf = (secret: string): Buffer => Buffer.from(secret.slice('whsec_'.length), 'base64');

/**
 * Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md;
 * Svix, Resend, Clerk, ...): `webhook-signature: v1,<base64>[ v1,<base64>...]`, the HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<raw body>`, timestamp within the tolerance. Type: `type`;
 * id: `webhook-id` (the same on every retry). The spec has no ordering key.
 */
export const standard: HookProvider = {
  keptHeaders: ['webhook-id', 'webhook-timestamp'],

  verify(request: HookRequest, source) {
    const id = header(request, 'webhook-id');
    const timestamp = header(request, 'webhook-timestamp');
    const signature = header(request, 'webhook-signature');
    if (!id || !timestamp || !signature) return 'webhook-id, webhook-timestamp and webhook-signature: all three are required';
    const given = signature
      .split(' ')
      .filter((s) => s.startsWith('v1,'))
      .map((s) => fromBase64(s.slice(3)));
    if (given.length === 0) return 'webhook-signature: no v1,<base64> entry';
    if (!anyHmacMatches('sha256', source.secrets.map(keyOf), [`${id}.${timestamp}.`, request.raw], given)) {
      return 'webhook-signature: no v1 entry matches the body under any secret of this source';
    }
    return timestampProblem('webhook-timestamp', timestamp, request.nowS, request.toleranceS);
  },

  derive(request) {
    const payload = jsonObject(request.raw);
    return { kind: 'event', type: stringAt(payload, 'type') ?? 'unknown', deliveryId: header(request, 'webhook-id') ?? '', payload };
  },
};
