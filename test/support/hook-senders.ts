// How each provider signs a webhook, done with the provider's own npm library where it has one
// (stripe, @octokit/webhooks-methods, standardwebhooks, twilio) and, for the others, exactly as
// their documentation describes (cited per sender), so the absorber is checked against the
// senders' schemes rather than against a second copy of our own code.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
// The helper module only: the full client pulls in its HTTP stack for nothing.
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';

export interface Signed {
  headers: Record<string, string>;
  /** Path and query when not the plain `/v1/hooks/<source>` (Twilio signs the URL). */
  path?: string;
}

export interface SignOptions {
  /** Unix seconds; defaults to now. */
  t?: number;
  /** The sender's delivery id, for senders that carry it in a header. */
  id: string;
}

export interface Sender {
  source: string;
  provider: string;
  /** Two secrets: the first is current, the second the one being rotated in. */
  secrets: [string, string];
  extraEnv?: Record<string, string>;
  /** A distinct delivery `n` of this sender's usual event. */
  body(n: number): string;
  sign(body: string, secret: string, options: SignOptions): Signed;
  /** The event type the absorber must derive (with the source prefix). */
  type: string;
  /** Whether the scheme signs a timestamp (a stale one must be refused). */
  timestamped: boolean;
  /** The header that carries the MAC (lower case); the MAC is the last hex or base64 run of its value. */
  signatureHeader: string;
}

/** The MAC at the end of a signature header's value: hex, or base64 with its padding. */
export const MAC_AT_END = /[A-Za-z0-9+/]+=*$/;

const now = () => Math.floor(Date.now() / 1000);

/**
 * @octokit/webhooks-methods ships as ES modules only and signs asynchronously; it runs in a child
 * Node process (real library, one process per batch of signatures) so that this stays synchronous
 * for its callers (written so when jest, CommonJS, could not load it at all).
 */
export function githubSignatures(items: Array<{ secret: string; body: string }>): string[] {
  // Items on stdin: a large body would overflow the argument list.
  const script = `import { readFileSync } from 'node:fs';
import { sign } from '@octokit/webhooks-methods';
const items = JSON.parse(readFileSync(0, 'utf8'));
console.log(JSON.stringify(await Promise.all(items.map((i) => sign(i.secret, i.body)))));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(items), encoding: 'utf8', maxBuffer: 1 << 20 }));
}

const stripeClient = new Stripe('sk_test_not_used');
const hmac = (algorithm: string, secret: string, text: string, encoding: 'hex' | 'base64') => createHmac(algorithm, secret).update(text).digest(encoding);

export const TWILIO_HOST = 'hooks.example.com';

export const SENDERS: Sender[] = [
  {
    source: 'gh',
    provider: 'github',
    secrets: ['gh-secret-one-7c1f0a9e2b4d6c8e0f1a3b5c', 'gh-secret-two-9d2e1b0a3c5f7e9d1b2c4e6f'],
    body: (n) => JSON.stringify({ action: 'opened', number: n, pull_request: { title: `PR ${n} é ✓` }, repository: { full_name: 'acme/api' } }),
    sign: (body, secret, { id }) => ({
      headers: { 'x-github-event': 'pull_request', 'x-github-delivery': id, 'x-hub-signature-256': githubSignatures([{ secret, body }])[0], 'content-type': 'application/json' },
    }),
    type: 'gh.pull_request.opened',
    timestamped: false,
    signatureHeader: 'x-hub-signature-256',
  },
  {
    source: 'pay',
    provider: 'stripe',
    secrets: ['whsec_stripe_one_4e9a1c7b3d5f2e8a0c6b1d3f', 'whsec_stripe_two_8b2d4f6a1c3e5d7f9a0b2c4e'],
    body: (n) => JSON.stringify({ id: `evt_${n}`, object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_123', amount: n } } }),
    sign: (body, secret, { t }) => ({
      headers: { 'stripe-signature': stripeClient.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t ?? now() }), 'content-type': 'application/json; charset=utf-8' },
    }),
    type: 'pay.payment_intent.succeeded',
    timestamped: true,
    signatureHeader: 'stripe-signature',
  },
  {
    source: 'svix',
    provider: 'standard',
    secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_c2Vjb25kLXN0YW5kYXJkLXNlY3JldC1vZi0yNCti'],
    body: (n) => JSON.stringify({ type: 'email.delivered', timestamp: '2026-11-30T00:00:00Z', data: { n } }),
    sign: (body, secret, { t, id }) => {
      const at = t ?? now();
      return {
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(at),
          'webhook-signature': new Webhook(secret).sign(id, new Date(at * 1000), body),
          'content-type': 'application/json',
        },
      };
    },
    type: 'svix.email.delivered',
    timestamped: true,
    signatureHeader: 'webhook-signature',
  },
  {
    source: 'wa',
    provider: 'meta',
    secrets: ['meta-app-secret-1-3f5a7c9e1b2d4f6a8c0e', 'meta-app-secret-2-6b8d0f2a4c6e8a1b3d5f'],
    extraEnv: { WEBHOOK_VERIFY_TOKEN_WA: 'verify-me' },
    body: (n) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: { messages: [{ id: `wamid.${n}`, text: { body: 'hi' } }] } }] }],
      }),
    // https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications:
    // X-Hub-Signature-256 is sha256= and the hex SHA256 HMAC of the payload under the app secret.
    sign: (body, secret) => ({ headers: { 'x-hub-signature-256': `sha256=${hmac('sha256', secret, body, 'hex')}`, 'content-type': 'application/json' } }),
    type: 'wa.whatsapp_business_account.messages',
    timestamped: false,
    signatureHeader: 'x-hub-signature-256',
  },
  {
    source: 'shop',
    provider: 'shopify',
    secrets: ['shpss_one_5a7c9e1b3d5f7a9c2e4b6d8f', 'shpss_two_1c3e5a7b9d2f4a6c8e0b3d5f'],
    body: (n) => JSON.stringify({ id: n, email: 'a@example.com', total_price: '10.00' }),
    // https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify:
    // X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body under the app's client secret.
    sign: (body, secret, { id }) => ({
      headers: {
        'x-shopify-hmac-sha256': hmac('sha256', secret, body, 'base64'),
        'x-shopify-topic': 'orders/create',
        'x-shopify-webhook-id': id,
        'x-shopify-shop-domain': 'acme.myshopify.com',
        'content-type': 'application/json',
      },
    }),
    type: 'shop.orders.create',
    timestamped: false,
    signatureHeader: 'x-shopify-hmac-sha256',
  },
  {
    source: 'slack',
    provider: 'slack',
    secrets: ['slack-signing-1-0a2c4e6b8d1f3a5c7e9b', 'slack-signing-2-4d6f8a0c2e5b7d9f1a3c'],
    body: (n) => JSON.stringify({ type: 'event_callback', team_id: 'T1', event_id: `Ev${n}`, event: { type: 'app_mention', text: `hello ${n}` } }),
    // https://api.slack.com/authentication/verifying-requests-from-slack: v0= and the hex
    // HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>" under the signing secret.
    sign: (body, secret, { t }) => {
      const at = String(t ?? now());
      return {
        headers: { 'x-slack-request-timestamp': at, 'x-slack-signature': `v0=${hmac('sha256', secret, `v0:${at}:${body}`, 'hex')}`, 'content-type': 'application/json' },
      };
    },
    type: 'slack.event.app_mention',
    timestamped: true,
    signatureHeader: 'x-slack-signature',
  },
  {
    source: 'sms',
    provider: 'twilio',
    secrets: ['twilio-auth-token-1-8e0a2c4f6b9d1e3a', 'twilio-auth-token-2-2b4d6f8a1c3e5a7c'],
    body: (n) => new URLSearchParams({ MessageSid: `SM${n}`, MessageStatus: 'delivered', To: '+15550001', Body: `hi ${n} é` }).toString(),
    sign: (body, secret, { id }) => {
      const path = '/v1/hooks/sms?tenant=acme';
      const params = Object.fromEntries(new URLSearchParams(body));
      return {
        path,
        headers: {
          host: TWILIO_HOST,
          'x-forwarded-proto': 'https',
          'x-twilio-signature': getExpectedTwilioSignature(secret, `https://${TWILIO_HOST}${path}`, params),
          'i-twilio-idempotency-token': id,
          'content-type': 'application/x-www-form-urlencoded',
        },
      };
    },
    type: 'sms.message.delivered',
    timestamped: false,
    signatureHeader: 'x-twilio-signature',
  },
  {
    source: 'generic',
    provider: 'hmac-sha256',
    secrets: ['generic-one-6c8e0a2d4f7b9c1e3a5d7f9b', 'generic-two-3a5c7e9b2d4f6a8c1e3b5d7f'],
    body: (n) => JSON.stringify({ type: 'invoice.paid', id: `inv-${n}`, amount: n }),
    // docs/webhooks.md#hmac-sha256: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">.
    sign: (body, secret, { t }) => {
      const at = t ?? now();
      return { headers: { 'x-webhook-signature': `t=${at},v1=${hmac('sha256', secret, `${at}.${body}`, 'hex')}`, 'content-type': 'application/json' } };
    },
    type: 'generic.invoice.paid',
    timestamped: true,
    signatureHeader: 'x-webhook-signature',
  },
];

/** The env that declares every sender above as a source, both secrets active (a rotation). */
export function sourcesEnv(senders = SENDERS): Record<string, string> {
  const env: Record<string, string> = { WEBHOOK_SOURCES: senders.map((s) => `${s.source}:${s.provider}`).join(',') };
  for (const s of senders) {
    env[`WEBHOOK_SECRET_${s.source.toUpperCase().replace(/-/g, '_')}`] = s.secrets.join(',');
    Object.assign(env, s.extraEnv);
  }
  return env;
}
