import { header, HookProvider, HookRequest, jsonReply } from '../provider';
import { jsonObject, stringAt } from '../payload';
import { anyHmacMatches, digestId, fromHex } from '../signing';

const SIGNATURE = 'x-hub-signature-256';

/**
 * GitHub (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. GitHub signs neither a
 * timestamp nor its headers, so a replay cannot be refused by age and `X-GitHub-Delivery` could be
 * anything: the id is the digest of the signed body, so a replay (with any delivery id, or
 * re-typed with another `X-GitHub-Event`) applies once; the delivery id stays in `headers`. Type:
 * the `X-GitHub-Event` header (unsigned: the body does not say its event) and the payload's
 * `action`; key: the repository, so one repository's events apply in order.
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
      deliveryId: digestId(request.raw),
      key: stringAt(payload, 'repository', 'full_name'),
      payload,
    };
  },
};
