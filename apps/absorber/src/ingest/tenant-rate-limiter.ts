/**
 * Token bucket per tenant, in this process: `ratePerSecond` events a second with bursts up to
 * two seconds' worth. Each absorber replica limits on its own, so a tenant's cluster-wide
 * ceiling is the rate times the replicas; the point is to stop one sender starving the rest.
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  constructor(readonly ratePerSecond: number, private readonly maxTenants = 100_000) {
    this.burst = ratePerSecond * 2;
  }

  get enabled(): boolean {
    return this.ratePerSecond > 0;
  }

  /**
   * Takes `n` tokens, or says how many whole seconds until they would be there. More than the
   * whole burst can never be there: that answer says so (`overBurst`) instead of a retry time.
   */
  take(tenant: string, n: number, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number; overBurst?: boolean; burst?: number } {
    if (!this.enabled) return { ok: true };
    if (n > this.burst) return { ok: false, retryAfterSeconds: 0, overBurst: true, burst: this.burst };
    let bucket = this.buckets.get(tenant);
    if (!bucket) {
      if (this.buckets.size >= this.maxTenants) this.buckets.clear(); // bounded memory beats perfect fairness
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(tenant, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = now;
    if (bucket.tokens >= n) {
      bucket.tokens -= n;
      return { ok: true };
    }
    const missing = n - bucket.tokens;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / this.ratePerSecond)) };
  }
}
