import { ConfigError, loadConfig } from './config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('WEBHOOK_SOURCES', () => {
  it('reads sources, rotation secrets, the meta verify token and per-source rates', () => {
    const config = loadConfig({
      WEBHOOK_SOURCES: 'github:github, billing-stripe:stripe,wa:meta',
      WEBHOOK_SECRET_GITHUB: 'one',
      WEBHOOK_SECRET_BILLING_STRIPE: 'whsec_new, whsec_old',
      WEBHOOK_SECRET_WA: 'app-secret',
      WEBHOOK_VERIFY_TOKEN_WA: 'token',
      WEBHOOK_RATE_LIMITS: 'billing-stripe=50',
    });
    expect(config.webhooks).toEqual([
      { name: 'github', provider: 'github', secrets: ['one'], rateLimit: 0 },
      { name: 'billing-stripe', provider: 'stripe', secrets: ['whsec_new', 'whsec_old'], rateLimit: 50 },
      { name: 'wa', provider: 'meta', secrets: ['app-secret'], verifyToken: 'token', rateLimit: 0 },
    ]);
    expect(loadConfig({}).webhooks).toEqual([]);
  });

  it('names every problem on a line of its own, never a secret', () => {
    const problems = problemsOf({
      WEBHOOK_SOURCES: 'gh:gitlab,Bad_Name:stripe,nosecret:slack,wa:meta,sv:standard,gh2:github,gh2:github,broken',
      WEBHOOK_SECRET_WA: 's',
      WEBHOOK_SECRET_SV: 'not-whsec-top-secret',
      WEBHOOK_SECRET_GH2: 's',
      WEBHOOK_RATE_LIMITS: 'gh2=-1,ghost=5',
    });
    expect(problems).toEqual([
      'WEBHOOK_SOURCES: source "gh" has unknown provider "gitlab"; providers are github, stripe, standard, meta, shopify, slack, twilio, hmac-sha256',
      'WEBHOOK_SOURCES: source name "Bad_Name" must be 1-40 lower-case letters, digits or - (it is a URL path segment and a type prefix)',
      'WEBHOOK_SECRET_NOSECRET: not set; source "nosecret" (slack) needs its signing secret(s), comma-separated',
      'WEBHOOK_VERIFY_TOKEN_WA: not set; meta source "wa" answers Meta\'s subscription handshake only with the verify token you gave Meta',
      'WEBHOOK_SECRET_SV: a Standard Webhooks secret is whsec_ followed by base64 (as the sender shows it)',
      'WEBHOOK_SOURCES: source "gh2" is declared twice',
      'WEBHOOK_SOURCES: bad entry "broken"; expected <name>:<provider>',
      'WEBHOOK_RATE_LIMITS: bad entry "gh2=-1"; expected source=n with n from 0 to 10000000',
      'WEBHOOK_RATE_LIMITS: "ghost" is not a source of WEBHOOK_SOURCES',
    ]);
    expect(problems.join('\n')).not.toContain('top-secret');
  });
});
