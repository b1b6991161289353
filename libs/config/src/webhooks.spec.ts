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
      WEBHOOK_SECRET_GITHUB: 'gh-secret-1a3c5e7b9d2f4a6c8e0b2d4f6a',
      WEBHOOK_SECRET_BILLING_STRIPE: 'whsec_new_0a2c4e6b8d1f3a5c7e9b2d4f, whsec_old_5e7a9c2b4d6f8a1c3e5b7d9f',
      WEBHOOK_SECRET_WA: 'app-secret-6c8e0a2d4f7b9c1e3a5d7f9b',
      WEBHOOK_VERIFY_TOKEN_WA: 'token',
      WEBHOOK_RATE_LIMITS: 'billing-stripe=50',
    });
    expect(config.webhooks).toEqual([
      { name: 'github', provider: 'github', secrets: ['gh-secret-1a3c5e7b9d2f4a6c8e0b2d4f6a'], rateLimit: 0 },
      { name: 'billing-stripe', provider: 'stripe', secrets: ['whsec_new_0a2c4e6b8d1f3a5c7e9b2d4f', 'whsec_old_5e7a9c2b4d6f8a1c3e5b7d9f'], rateLimit: 50 },
      { name: 'wa', provider: 'meta', secrets: ['app-secret-6c8e0a2d4f7b9c1e3a5d7f9b'], verifyToken: 'token', rateLimit: 0 },
    ]);
    expect(loadConfig({}).webhooks).toEqual([]);
  });

  it('names every problem on a line of its own, never a secret', () => {
    const problems = problemsOf({
      WEBHOOK_SOURCES: 'gh:gitlab,Bad_Name:stripe,nosecret:slack,wa:meta,sv:standard,gh2:github,gh2:github,broken',
      WEBHOOK_SECRET_WA: 'meta-app-secret-2b4d6f8a0c3e5a7c9e1b',
      WEBHOOK_SECRET_SV: 'not-whsec-top-secret',
      WEBHOOK_SECRET_GH2: 'gh2-secret-8d0f2a4c6e9b1d3f5a7c9e',
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

  it('refuses weak secrets: under 32 characters, a whsec_ under 24 bytes, an example value (one line per variable, no value)', () => {
    const whsec = (bytes: number) => `whsec_${Buffer.from('k'.repeat(bytes)).toString('base64')}`;
    const problems = problemsOf({
      WEBHOOK_SOURCES: 'gh:github,sv:standard,ok:standard,shop:shopify',
      WEBHOOK_SECRET_GH: `${'g'.repeat(32)},short-github-secret`,
      WEBHOOK_SECRET_SV: whsec(23),
      WEBHOOK_SECRET_OK: whsec(24),
      WEBHOOK_SECRET_SHOP: 'example-github-webhook-secret-change-me',
    });
    expect(problems).toEqual([
      'WEBHOOK_SECRET_GH: an entry is 19 characters, under the minimum of 32; generate one with `openssl rand -hex 32`',
      'WEBHOOK_SECRET_SV: an entry decodes to 23 bytes, under the minimum of 24; use the secret the sender shows',
      'WEBHOOK_SECRET_SHOP: an entry is an example value published in this repository; generate one with `openssl rand -hex 32`',
    ]);
    expect(problems.join('\n')).not.toMatch(/short-github-secret|example-github/);
  });
});
