import { header, HookProvider, HookRequest } from '../provider';
import { jsonObject, stringAt } from '../payload';
import { anyHmacMatches, fromHex, timestampProblem } from '../signing';

/**
 * Stripe (https://docs.stripe.com/webhooks#verify-manually): `Stripe-Signature: t=<unix>,v1=<hex>`
 * where v1 is the HMAC-SHA256 of `<t>.<raw body>` under the endpoint's `whsec_...` secret (the
 * whole string is the key); during a secret roll Stripe sends one v1 per secret. Type: `type`;
 * id: the event's `id` (a retry resends it); key: `data.object.id`, so one object's events apply in order.
 */
export const stripe: HookProvider = {
  keptHeaders: ['stripe-signature'],

  verify(request: HookRequest, source) {
    const value = header(request, 'stripe-signature');
    if (!value) return 'Stripe-Signature: missing';
    let t: string | undefined;
    const v1: Buffer[] = [];
    for (const part of value.split(',')) {
      const at = part.indexOf('=');
      const name = part.slice(0, at).trim();
      if (name === 't') t = part.slice(at + 1).trim();
      else if (name === 'v1') v1.push(fromHex(part.slice(at + 1).trim()));
    }
    if (!t || v1.length === 0) return 'Stripe-Signature: must hold t=<unix> and at least one v1=<hex>';
    if (!anyHmacMatches('sha256', source.secrets, [`${t}.`, request.raw], v1)) {
      return 'Stripe-Signature: no v1 matches the body under any secret of this source';
    }
    return timestampProblem('Stripe-Signature t', t, request.nowS, request.toleranceS);
  },

  derive(request) {
    const payload = jsonObject(request.raw);
    return {
      kind: 'event',
      type: stringAt(payload, 'type') ?? 'unknown',
      deliveryId: stringAt(payload, 'id') ?? '',
      key: stringAt(payload, 'data', 'object', 'id'),
      payload,
    };
  },
};
