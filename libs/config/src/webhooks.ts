import { EnvReader } from './parse';
import { weakEntries, weakSecret, weakWhsec } from './secret-strength';

/** Senders whose signatures, ids and handshakes `POST /v1/hooks/<source>` understands (docs/webhooks.md). */
export const WEBHOOK_PROVIDERS = ['github', 'stripe', 'standard', 'meta', 'shopify', 'slack', 'twilio', 'hmac-sha256'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export interface WebhookSource {
  /** The `<source>` of `/v1/hooks/<source>`, and the prefix of its events' types. */
  name: string;
  provider: WebhookProvider;
  /** Every secret currently valid (rotation: old and new at once); one match is enough. */
  secrets: string[];
  /** Meta's GET subscription handshake compares `hub.verify_token` with this. */
  verifyToken?: string;
  /** Events per second this source may bring per absorber replica; 0 is off. */
  rateLimit: number;
}

const SOURCE_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** `billing-stripe` -> `WEBHOOK_SECRET_BILLING_STRIPE`. */
export function webhookEnvName(prefix: 'WEBHOOK_SECRET_' | 'WEBHOOK_VERIFY_TOKEN_', source: string): string {
  return `${prefix}${source.toUpperCase().replace(/-/g, '_')}`;
}

function isProvider(value: string): value is WebhookProvider {
  return (WEBHOOK_PROVIDERS as readonly string[]).includes(value);
}

/** `WEBHOOK_RATE_LIMITS=github=50,pay=200` */
function rateLimits(r: EnvReader, names: Set<string>): Map<string, number> {
  const limits = new Map<string, number>();
  const raw = r.optional('WEBHOOK_RATE_LIMITS');
  if (!raw) return limits;
  for (const pair of raw.split(',')) {
    const [name, value] = pair.split('=').map((s) => s.trim());
    const n = Number(value);
    if (!names.has(name)) {
      r.problems.push(`WEBHOOK_RATE_LIMITS: "${name}" is not a source of WEBHOOK_SOURCES`);
    } else if (!Number.isInteger(n) || n < 0 || n > 10_000_000) {
      r.problems.push(`WEBHOOK_RATE_LIMITS: bad entry "${pair}"; expected source=n with n from 0 to 10000000`);
    } else {
      limits.set(name, n);
    }
  }
  return limits;
}

/**
 * `WEBHOOK_SOURCES=github:github,pay:stripe` with `WEBHOOK_SECRET_<NAME>` (comma-separated for
 * rotation) for each, `WEBHOOK_VERIFY_TOKEN_<NAME>` for a meta source, `WEBHOOK_RATE_LIMITS`.
 * A source without a secret is refused rather than left open: a hook route that checks nothing
 * would take events from anyone who learns its URL.
 */
export function parseWebhookSources(r: EnvReader, env: NodeJS.ProcessEnv): WebhookSource[] {
  const raw = r.optional('WEBHOOK_SOURCES');
  if (!raw) return [];
  const sources: WebhookSource[] = [];
  const names = new Set<string>();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, provider, extra] = entry.split(':').map((s) => s.trim());
    if (extra !== undefined || !name || !provider) {
      r.problems.push(`WEBHOOK_SOURCES: bad entry "${entry}"; expected <name>:<provider>`);
      continue;
    }
    if (!SOURCE_NAME.test(name)) {
      r.problems.push(`WEBHOOK_SOURCES: source name "${name}" must be 1-40 lower-case letters, digits or - (it is a URL path segment and a type prefix)`);
      continue;
    }
    if (!isProvider(provider)) {
      r.problems.push(`WEBHOOK_SOURCES: source "${name}" has unknown provider "${provider}"; providers are ${WEBHOOK_PROVIDERS.join(', ')}`);
      continue;
    }
    if (names.has(name)) {
      r.problems.push(`WEBHOOK_SOURCES: source "${name}" is declared twice`);
      continue;
    }
    names.add(name);
    const secretVar = webhookEnvName('WEBHOOK_SECRET_', name);
    const secrets = (env[secretVar] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (secrets.length === 0) r.problems.push(`${secretVar}: not set; source "${name}" (${provider}) needs its signing secret(s), comma-separated`);
    if (provider === 'standard' && secrets.some((s) => !/^whsec_[A-Za-z0-9+/=]+$/.test(s))) {
      r.problems.push(`${secretVar}: a Standard Webhooks secret is whsec_ followed by base64 (as the sender shows it)`);
    } else {
      const weak = weakEntries(secretVar, secrets, provider === 'standard' ? weakWhsec : weakSecret);
      if (weak) r.problems.push(weak);
    }
    const source: WebhookSource = { name, provider, secrets, rateLimit: 0 };
    if (provider === 'meta') {
      const tokenVar = webhookEnvName('WEBHOOK_VERIFY_TOKEN_', name);
      const token = env[tokenVar]?.trim();
      if (!token) r.problems.push(`${tokenVar}: not set; meta source "${name}" answers Meta's subscription handshake only with the verify token you gave Meta`);
      else source.verifyToken = token;
    }
    sources.push(source);
  }
  const limits = rateLimits(r, names);
  for (const source of sources) source.rateLimit = limits.get(source.name) ?? 0;
  return sources;
}
