import { LaneShedder } from './lane-shedder';
import { sign, SignatureVerifier } from './signature';
import { TenantRateLimiter } from './tenant-rate-limiter';

describe('TenantRateLimiter', () => {
  it('allows a burst of two seconds, then refuses with the wait in whole seconds', () => {
    const limiter = new TenantRateLimiter(10);
    expect(limiter.take('a', 20, 0)).toEqual({ ok: true });
    expect(limiter.take('a', 1, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b', 5, 0)).toEqual({ ok: true }); // tenants do not share a bucket
    expect(limiter.take('a', 5, 500)).toEqual({ ok: true }); // 0.5 s refilled 5 tokens
    expect(limiter.take('a', 15, 500)).toEqual({ ok: false, retryAfterSeconds: 2 });
  });

  it('is off at rate 0', () => {
    const limiter = new TenantRateLimiter(0);
    expect(limiter.enabled).toBe(false);
    expect(limiter.take('a', 1e9)).toEqual({ ok: true });
  });
});

describe('LaneShedder', () => {
  it('sheds a lane only at or over its mark, and never a lane without one', async () => {
    const depths = { critical: 5, normal: 100, low: 100 };
    const shedder = new LaneShedder({ critical: 0, normal: 200, low: 100 }, async (lane) => ({
      waiting: depths[lane],
      delayed: 0,
      active: 0,
      deadLettered: 0,
    }));
    await shedder.sample();
    expect(shedder.over('low')).toEqual({ kind: 'backlog', backlog: 100, mark: 100 });
    expect(shedder.over('normal')).toBeUndefined();
    depths.critical = 1e9;
    await shedder.sample();
    expect(shedder.over('critical')).toBeUndefined();
  });

  it('sheds by the broker memory fill, low lanes first, whatever the backlog counts say', async () => {
    let used = 79;
    const shedder = new LaneShedder(
      { critical: 0, normal: 0, low: 0 },
      async () => ({ waiting: 0, delayed: 0, active: 0, deadLettered: 0 }),
      { critical: 90, normal: 85, low: 80 },
      async () => ({ usedBytes: used, maxBytes: 100 }),
    );
    await shedder.sample();
    expect(shedder.over('low')).toBeUndefined();
    used = 86;
    await shedder.sample();
    expect(shedder.over('low')).toEqual({ kind: 'memory', percent: 86, mark: 80 });
    expect(shedder.over('normal')).toEqual({ kind: 'memory', percent: 86, mark: 85 });
    expect(shedder.over('critical')).toBeUndefined();
  });
});

describe('SignatureVerifier (X-Signature-256: t=<unix>,v1=<hmac of "<t>.<body>">)', () => {
  const NOW = 1_767_225_600;
  const verifier = new SignatureVerifier(['old-secret', 'new-secret'], 300, () => NOW);
  const body = Buffer.from('{"type":"a","data":{}}');

  it('accepts a fresh signature by any active secret, and one good v1 among several', () => {
    expect(verifier.problem(body, sign('new-secret', body, NOW))).toBeUndefined();
    expect(verifier.problem(body, sign('old-secret', body, NOW - 300))).toBeUndefined();
    expect(verifier.problem(body, sign('old-secret', body, NOW + 300))).toBeUndefined();
    const other = sign('retired', body, NOW).split(',')[1];
    expect(verifier.problem(body, `${sign('new-secret', body, NOW)},${other},v0=legacy`)).toBeUndefined();
  });

  it('signs the timestamp with the body: the same HMAC under another t does not match', () => {
    const v1 = sign('new-secret', body, NOW).split(',')[1];
    expect(verifier.problem(body, `t=${NOW - 1},${v1}`)).toBe('X-Signature-256 does not match the body');
  });

  it('refuses a replay outside the tolerance, naming the skew', () => {
    expect(verifier.problem(body, sign('new-secret', body, NOW - 301))).toBe(
      "X-Signature-256 timestamp is 301 s away from the server's clock; the tolerance is 300 s (sign each request when it is sent)",
    );
    expect(verifier.problem(body, sign('new-secret', body, NOW + 3600))).toMatch(/is 3600 s away/);
  });

  it('names what is wrong otherwise', () => {
    expect(verifier.problem(body, undefined)).toMatch(/^missing X-Signature-256 header: send t=<unix seconds>,v1=/);
    expect(verifier.problem(body, 'md5=abc')).toMatch(/^X-Signature-256 must be t=<unix seconds>,v1=/);
    expect(verifier.problem(body, `t=${NOW}`)).toMatch(/^X-Signature-256 must be t=<unix seconds>,v1=/);
    expect(verifier.problem(body, `t=soon,v1=${'a'.repeat(64)}`)).toMatch(/\(bad "t" entry\)$/);
    expect(verifier.problem(body, `t=${NOW},v1=abc`)).toMatch(/\(bad "v1" entry\)$/);
    expect(verifier.problem(body, `sha256=${'a'.repeat(64)}`)).toMatch(/the untimed sha256=<hex> form is no longer accepted \(it can be replayed\)/);
    expect(verifier.problem(body, sign('other', body, NOW))).toBe('X-Signature-256 does not match the body');
    expect(verifier.problem(Buffer.from('{}'), sign('new-secret', body, NOW))).toBe('X-Signature-256 does not match the body');
  });

  it('is off without secrets', () => {
    expect(new SignatureVerifier([], 300).problem(body, undefined)).toBeUndefined();
  });
});

describe('TenantRateLimiter over its burst', () => {
  it('says a request larger than the whole burst can never be admitted, instead of a retry time', () => {
    const limiter = new TenantRateLimiter(10);
    expect(limiter.take('a', 21, 0)).toEqual({ ok: false, retryAfterSeconds: 0, overBurst: true, burst: 20 });
    expect(limiter.take('a', 20, 0)).toEqual({ ok: true }); // nothing was taken by the refusal
  });
});
