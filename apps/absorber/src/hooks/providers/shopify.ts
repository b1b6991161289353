import { header, HookProvider, HookRequest } from '../provider';
import { jsonObject } from '../payload';
import { anyHmacMatches, digestId, fromBase64 } from '../signing';

/**
 * Shopify (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify):
 * `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body under the app's client secret>`,
 * no signed timestamp, no signed header. Id: the digest of the signed body, so a replay with any
 * `X-Shopify-Webhook-Id` or topic applies once (the headers stay in `headers`). Type:
 * `X-Shopify-Topic` (unsigned: the body does not say its topic; `orders/create` becomes
 * `orders.create`); key: the shop's domain.
 */
export const shopify: HookProvider = {
  keptHeaders: ['x-shopify-topic', 'x-shopify-webhook-id', 'x-shopify-shop-domain', 'x-shopify-event-id', 'x-shopify-triggered-at', 'x-shopify-api-version'],

  verify(request: HookRequest, source) {
    const signature = header(request, 'x-shopify-hmac-sha256');
    if (!signature) return 'X-Shopify-Hmac-Sha256: missing';
    if (!anyHmacMatches('sha256', source.secrets, [request.raw], [fromBase64(signature)])) {
      return 'X-Shopify-Hmac-Sha256: does not match the body under any secret of this source';
    }
    return undefined;
  },

  derive(request) {
    return {
      kind: 'event',
      type: header(request, 'x-shopify-topic') ?? 'unknown',
      deliveryId: digestId(request.raw),
      key: header(request, 'x-shopify-shop-domain'),
      payload: jsonObject(request.raw),
    };
  },
};
