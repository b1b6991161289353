import { header, HookProvider, HookRequest } from '../provider';
import { formFields, isForm, jsonObject, stringAt } from '../payload';
import { anyHmacMatches, digestId, fromBase64 } from '../signing';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Twilio signs the URL as it called it; a proxy may add or drop the default port. */
function urlsToTry(url: string): string[] {
  const parsed = new URL(url);
  const port = parsed.protocol === 'https:' ? '443' : '80';
  const withPort = parsed.port ? url : url.replace(parsed.host, `${parsed.hostname}:${port}`);
  const withoutPort = parsed.port === port ? url.replace(parsed.host, parsed.hostname) : url;
  return [...new Set([url, withPort, withoutPort])];
}

/** The signed string: the URL, then each parameter name and value sorted by name (repeats: values sorted). */
function signedText(url: string, params: Record<string, string | string[]>): string {
  let text = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    for (const v of Array.isArray(value) ? [...new Set(value)].sort() : [value]) text += name + v;
  }
  return text;
}

/**
 * Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security): `X-Twilio-Signature`
 * is the base64 HMAC-SHA1 (HMAC-SHA256 when `X-Twilio-Webhooks-Signature-Settings` says
 * `algorithm=HMAC_SHA256`) of the full URL followed by the form fields sorted by name. A JSON
 * body is covered by the `bodySHA256` query parameter instead. No signed timestamp. The secrets
 * are the account's auth tokens (primary and secondary during a rotation). Type: `message.<status>`
 * or `call.<status>`; id: `I-Twilio-Idempotency-Token`, else the sid and status; key: the sid.
 */
export const twilio: HookProvider = {
  keptHeaders: ['i-twilio-idempotency-token', 'content-type'],

  verify(request: HookRequest, source) {
    const signature = header(request, 'x-twilio-signature');
    if (!signature) return 'X-Twilio-Signature: missing';
    const settings = header(request, 'x-twilio-webhooks-signature-settings') ?? '';
    const algorithm = /algorithm=HMAC_SHA256/i.test(settings) ? 'sha256' : 'sha1';
    let params: Record<string, string | string[]> = {};
    if (isForm(header(request, 'content-type'))) params = formFields(request.raw);
    else {
      const claimed = new URL(request.publicUrl).searchParams.get('bodySHA256') ?? '';
      const actual = createHash('sha256').update(request.raw).digest();
      const given = Buffer.from(claimed, 'hex');
      if (given.length !== actual.length || !timingSafeEqual(given, actual)) return 'bodySHA256: the URL\'s body hash does not match the body';
    }
    const given = [fromBase64(signature)];
    const ok = urlsToTry(request.publicUrl).some((url) => anyHmacMatches(algorithm, source.secrets, [signedText(url, params)], given));
    if (!ok) {
      return `X-Twilio-Signature: does not match the URL ${request.publicUrl} and body under any auth token of this source (behind a proxy, pass Host and X-Forwarded-Proto)`;
    }
    return undefined;
  },

  derive(request) {
    const payload: Record<string, unknown> = isForm(header(request, 'content-type')) ? formFields(request.raw) : jsonObject(request.raw);
    const messageSid = stringAt(payload, 'MessageSid') ?? stringAt(payload, 'SmsSid');
    const callSid = stringAt(payload, 'CallSid');
    const sid = messageSid ?? callSid;
    const status = messageSid
      ? (stringAt(payload, 'MessageStatus') ?? stringAt(payload, 'SmsStatus') ?? 'received')
      : (stringAt(payload, 'CallStatus') ?? 'unknown');
    const type = messageSid ? `message.${status}` : callSid ? `call.${status}` : 'unknown';
    const token = header(request, 'i-twilio-idempotency-token');
    return { kind: 'event', type, deliveryId: token ?? (sid ? `${sid}:${status}` : digestId(request.raw)), key: sid, payload };
  },
};
