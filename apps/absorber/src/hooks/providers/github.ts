import { header, HookProvider, HookRequest, jsonReply } from '../provider';
import { jsonObject, stringAt } from '../payload';
import { anyHmacMatches, fromHex } from '../signing';

const SIGNATURE = 'x-hub-signature-256';

/**
 * GitHub (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. GitHub signs no timestamp, so
 * a replay cannot be refused by age; the delivery id makes a replay apply once. Type: the
 * `X-GitHub-Event` header and the payload's `action`; id: `X-GitHub-Delivery` (the same on a
 * redelivery); key: the repository, so one repository's events apply in order.
 */
export const github: HookProvider = {
  keptHeaders: ['x-github-event', 'x-github-delivery', 'x-github-hook-id', 'x-github-hook-installation-target-id', 'x-github-hook-installation-target-type'],

  verify(request: HookRequest, source) {
    const signature = header(request, SIGNATURE);
    if (!signature) return 'X-Hub-Signature-256: missing (set a secret on the GitHub webhook)';
    if (!signature.startsWith('sha256=')) return 'X-Hub-Signature-256: must be sha256=<hex>';
    if (!anyHmacMatches('sha256', source.secrets, [request.raw], [fromHex(signature.slice(7))])) {
      return 'X-Hub-Signature-256: does not match the body under any secret of this source';
    }
    return undefined;
  },

  derive(request) {
    const payload = jsonObject(request.raw);
    const event = header(request, 'x-github-event') ?? 'unknown';
    // The handshake GitHub sends when a hook is created: answered, not queued.
    if (event === 'ping') return jsonReply(200, { ok: true, zen: stringAt(payload, 'zen') ?? '' });
    const action = stringAt(payload, 'action');
    return {
      kind: 'event',
      type: action ? `${event}.${action}` : event,
      deliveryId: header(request, 'x-github-delivery') ?? '',
      key: stringAt(payload, 'repository', 'full_name'),
      payload,
    };
  },
};
