import { header, HookProvider, HookRequest, jsonReply } from '../provider';
import { jsonObject, stringAt } from '../payload';
import { anyHmacMatches, digestId, fromHex } from '../signing';

/**
 * Meta: WhatsApp Cloud API, Messenger, Instagram (https://developers.facebook.com/docs/graph-api/webhooks/getting-started):
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app secret>`, no
 * timestamp. Meta sends no delivery id and resends the same bytes on a retry, so the id is the
 * body's digest. Type: `<object>.<field of the first change>` (`whatsapp_business_account.messages`)
 * or `<object>.messaging`; key: the first entry's id (the business account or page).
 */
export const meta: HookProvider = {
  keptHeaders: [],

  verify(request: HookRequest, source) {
    const signature = header(request, 'x-hub-signature-256');
    if (!signature) return 'X-Hub-Signature-256: missing';
    if (!signature.startsWith('sha256=')) return 'X-Hub-Signature-256: must be sha256=<hex>';
    if (!anyHmacMatches('sha256', source.secrets, [request.raw], [fromHex(signature.slice(7))])) {
      return 'X-Hub-Signature-256: does not match the body under any app secret of this source';
    }
    return undefined;
  },

  derive(request) {
    const payload = jsonObject(request.raw);
    const entry = Array.isArray(payload.entry) ? (payload.entry[0] as Record<string, unknown> | undefined) : undefined;
    const change = entry && Array.isArray(entry.changes) ? entry.changes[0] : undefined;
    const field = stringAt(change, 'field') ?? (entry && Array.isArray(entry.messaging) ? 'messaging' : 'unknown');
    return { kind: 'event', type: `${stringAt(payload, 'object') ?? 'unknown'}.${field}`, deliveryId: digestId(request.raw), key: stringAt(entry, 'id'), payload };
  },

  /** The subscription handshake: echo `hub.challenge` when the verify token is the one given to Meta. */
  challenge(query, source) {
    if (query['hub.mode'] !== 'subscribe') return jsonReply(400, { statusCode: 400, message: 'hub.mode: must be subscribe' });
    if (query['hub.verify_token'] !== source.verifyToken) {
      return jsonReply(403, { statusCode: 403, message: 'hub.verify_token: does not match this source\'s verify token' });
    }
    return { kind: 'reply', status: 200, contentType: 'text/plain; charset=utf-8', body: query['hub.challenge'] ?? '' };
  },
};
