import { header, HookProvider, HookRequest } from '../provider';
import { formFields, isForm, jsonObject, stringAt } from '../payload';
import { anyHmacMatches, digestId, fromBase64, fromHex } from '../signing';
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
 * What the signature covers besides the URL: the form fields, or nothing when the URL carries
 * `bodySHA256` (Twilio then signs the URL alone and the hash pins the exact body, whatever the
 * content type). A problem naming the check, or the fields.
 */
function signedFields(request: HookRequest): { problem: string } | { params: Record<string, string | string[]> } {
  const claimed = new URL(request.publicUrl).searchParams.get('bodySHA256');
  if (claimed === null) {
    if (isForm(header(request, 'content-type'))) return { params: formFields(request.raw) };
    return { problem: 'bodySHA256: a body that is not a form must be covered by bodySHA256 in the URL' };
  }
  const actual = createHash('sha256').update(request.raw).digest();
  const given = fromHex(claimed);
  if (given.length !== actual.length || !timingSafeEqual(given, actual)) return { problem: 'bodySHA256: the URL\'s body hash does not match the body' };
  return { params: {} };
}

/** The signed text without the host, which a proxy may spell with or without the default port. */
function pathAndQuery(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/**
 * Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security): `X-Twilio-Signature`
 * is the base64 HMAC-SHA1 (HMAC-SHA256 when `X-Twilio-Webhooks-Signature-Settings` says
 * `algorithm=HMAC_SHA256`) of the full URL followed by the form fields sorted by name. A body
 * covered by the `bodySHA256` query parameter (JSON) is checked against it whatever its content
 * type. No signed timestamp, no signed header: the id is the digest of what is signed (path,
 * query, sorted fields, the body when hashed), so a replay with any `I-Twilio-Idempotency-Token`
 * or with its fields reordered applies once; the token stays in `headers`. The secrets are the
 * account's auth tokens (primary and secondary during a rotation). Type: `message.<status>` or
 * `call.<status>`; key: the sid.
 */
export const twilio: HookProvider = {
  keptHeaders: ['i-twilio-idempotency-token', 'content-type'],

  verify(request: HookRequest, source) {
    const signature = header(request, 'x-twilio-signature');
    if (!signature) return 'X-Twilio-Signature: missing';
    const settings = header(request, 'x-twilio-webhooks-signature-settings') ?? '';
    const algorithm = /algorithm=HMAC_SHA256/i.test(settings) ? 'sha256' : 'sha1';
    const fields = signedFields(request);
    if ('problem' in fields) return fields.problem;
    const given = [fromBase64(signature)];
    const ok = urlsToTry(request.publicUrl).some((url) => anyHmacMatches(algorithm, source.secrets, [signedText(url, fields.params)], given));
    if (!ok) {
      return `X-Twilio-Signature: does not match the URL ${request.publicUrl} and body under any auth token of this source (behind a proxy, pass Host and X-Forwarded-Proto)`;
    }
    return undefined;
  },

  derive(request) {
    const hashed = new URL(request.publicUrl).searchParams.has('bodySHA256');
    // Without bodySHA256, verify passed only for a form body, whose fields were signed.
    const payload: Record<string, unknown> = isForm(header(request, 'content-type')) ? formFields(request.raw) : jsonObject(request.raw);
    const messageSid = stringAt(payload, 'MessageSid') ?? stringAt(payload, 'SmsSid');
    const callSid = stringAt(payload, 'CallSid');
    const sid = messageSid ?? callSid;
    const status = messageSid
      ? (stringAt(payload, 'MessageStatus') ?? stringAt(payload, 'SmsStatus') ?? 'received')
      : (stringAt(payload, 'CallStatus') ?? 'unknown');
    const type = messageSid ? `message.${status}` : callSid ? `call.${status}` : 'unknown';
    const path = pathAndQuery(request.publicUrl);
    const deliveryId = hashed ? digestId(path, '\n', request.raw) : digestId(signedText(path, payload as Record<string, string | string[]>));
    return { kind: 'event', type, deliveryId, key: sid, payload };
  },
};
