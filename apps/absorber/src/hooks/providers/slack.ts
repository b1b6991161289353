import { header, HookPayloadError, HookProvider, HookRequest, jsonReply } from '../provider';
import { formFields, isForm, jsonObject, stringAt } from '../payload';
import { anyHmacMatches, digestId, fromHex, timestampProblem } from '../signing';

/** Interactivity posts `payload=<JSON>`; slash commands post plain form fields. */
function readForm(raw: Buffer): Record<string, unknown> {
  const fields = formFields(raw);
  if (typeof fields.payload !== 'string') return fields;
  try {
    return { ...(JSON.parse(fields.payload) as Record<string, unknown>) };
  } catch {
    throw new HookPayloadError('payload: form field is not valid JSON');
  }
}

/**
 * Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">` under
 * the app's signing secret, timestamp within the tolerance. Events API (JSON): `url_verification`
 * is answered with its challenge (https://api.slack.com/events/url_verification); an
 * `event_callback` becomes `event.<event.type>` with id `event_id` (Slack's retries keep it).
 * Slash commands and interactivity (form bodies) become `command.<name>` / `interaction.<type>`
 * with id `trigger_id`. Key: the workspace (team).
 */
export const slack: HookProvider = {
  keptHeaders: ['x-slack-request-timestamp', 'x-slack-retry-num', 'x-slack-retry-reason', 'content-type'],

  verify(request: HookRequest, source) {
    const signature = header(request, 'x-slack-signature');
    const timestamp = header(request, 'x-slack-request-timestamp');
    if (!signature || !timestamp) return 'X-Slack-Signature and X-Slack-Request-Timestamp: both are required';
    if (!signature.startsWith('v0=')) return 'X-Slack-Signature: must be v0=<hex>';
    if (!anyHmacMatches('sha256', source.secrets, [`v0:${timestamp}:`, request.raw], [fromHex(signature.slice(3))])) {
      return 'X-Slack-Signature: does not match the body under any signing secret of this source';
    }
    return timestampProblem('X-Slack-Request-Timestamp', timestamp, request.nowS, request.toleranceS);
  },

  derive(request) {
    if (isForm(header(request, 'content-type'))) {
      const payload = readForm(request.raw);
      const command = stringAt(payload, 'command');
      const type = command ? `command.${command.replace(/^\//, '')}` : `interaction.${stringAt(payload, 'type') ?? 'unknown'}`;
      const key = stringAt(payload, 'team_id') ?? stringAt(payload, 'team', 'id');
      return { kind: 'event', type, deliveryId: stringAt(payload, 'trigger_id') ?? digestId(request.raw), key, payload };
    }
    const payload = jsonObject(request.raw);
    const kind = stringAt(payload, 'type') ?? 'unknown';
    if (kind === 'url_verification') return jsonReply(200, { challenge: stringAt(payload, 'challenge') ?? '' });
    const type = kind === 'event_callback' ? `event.${stringAt(payload, 'event', 'type') ?? 'unknown'}` : kind;
    return { kind: 'event', type, deliveryId: stringAt(payload, 'event_id') ?? digestId(request.raw), key: stringAt(payload, 'team_id'), payload };
  },
};
