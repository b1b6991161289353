import { checkAbsorberConfig, ConfigError, ingestAuthProblem, loadConfig } from './config';
import { LaneRouter } from './lanes';

describe('loadConfig', () => {
  it('uses the contract defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.queueDriver).toBe('bullmq');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(config.port).toBe(8080);
    expect(config.workerHealthPort).toBe(8081);
    expect(config.queuePrefix).toBe('spillway');
    expect(config.apiKeyHashes).toEqual([]);
    expect(config.workerLanes).toEqual(['critical', 'normal', 'low']);
    expect(config.payloadBucket).toBe('spillway-payloads');
  });

  it('derives a legal S3 bucket from the queue prefix, and refuses an illegal one', () => {
    expect(loadConfig({ QUEUE_PREFIX: 'Shop_EU' }).payloadBucket).toBe('shop-eu-payloads');
    expect(() => loadConfig({ SQS_PAYLOAD_BUCKET: 'Bad_Bucket' })).toThrow(/SQS_PAYLOAD_BUCKET: not a valid S3 bucket name/);
  });

  it('keeps Idempotency-Key records beside the broker unless IDEMPOTENCY_STORE says otherwise', () => {
    expect(loadConfig({}).idempotencyStore).toBe('redis');
    expect(loadConfig({ QUEUE_DRIVER: 'sqs' }).idempotencyStore).toBe('postgres');
    expect(loadConfig({ QUEUE_DRIVER: 'sqs', IDEMPOTENCY_STORE: 'redis' }).idempotencyStore).toBe('redis');
    expect(loadConfig({ IDEMPOTENCY_STORE: 'postgres' }).idempotencyStore).toBe('postgres');
    expect(() => loadConfig({ IDEMPOTENCY_STORE: 'memory' })).toThrow(/IDEMPOTENCY_STORE/);
  });

  it('reports every bad variable, one line each', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ QUEUE_DRIVER: 'kafka', PORT: '99999', REDIS_URL: 'http://x', WORKER_CONCURRENCY: 'critical=0', LANE_ROUTES: 'a=urgent' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(5);
    expect(error!.problems[0]).toMatch(/^QUEUE_DRIVER: must be one of bullmq, sqs/);
    expect(error!.problems.join('\n')).toMatch(/PORT: must be an integer from 1 to 65535 \(got "99999"\)/);
    expect(error!.problems.join('\n')).toMatch(/REDIS_URL: must use redis: or rediss:/);
    expect(error!.problems.join('\n')).toMatch(/WORKER_CONCURRENCY: bad entry "critical=0"/);
    expect(error!.problems.join('\n')).toMatch(/LANE_ROUTES: bad entry "a=urgent"/);
  });

  it('refuses weak keys and secrets at start, one line per variable, never echoing a value', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    const found = problems({
      INGEST_API_KEYS: `short-key, also-short, ${STRONG_KEY}`,
      INGEST_HMAC_SECRETS: 'x'.repeat(31),
    });
    expect(found).toEqual([
      'INGEST_API_KEYS: an entry is 9 characters, under the minimum of 32; generate one with `openssl rand -hex 32` (or give its sha256: digest)',
      'INGEST_HMAC_SECRETS: an entry is 31 characters, under the minimum of 32; generate one with `openssl rand -hex 32`',
    ]);
    expect(found.join('\n')).not.toContain('short-key');
    // The example values of deploy/hetzner/secrets/*.env.example and the README, however long.
    expect(problems({ INGEST_API_KEYS: 'example-ingest-key-change-me' })).toEqual([
      'INGEST_API_KEYS: an entry is an example value published in this repository; generate one with `openssl rand -hex 32` (or give its sha256: digest)',
    ]);
    expect(problems({ INGEST_HMAC_SECRETS: 'example-hmac-secret-change-me-0123456789' })).toHaveLength(1);
    // 32 characters, and a digest (whatever key it stands for), start.
    expect(problems({ INGEST_API_KEYS: `${'k'.repeat(32)},sha256:${'b'.repeat(64)}`, INGEST_HMAC_SECRETS: 's'.repeat(32) })).toEqual([]);
  });

  it('accepts plain API keys and sha256: digests alike', () => {
    const digest = 'a'.repeat(64);
    const config = loadConfig({ INGEST_API_KEYS: `secret-one-3b5d7f9a1c3e5a7c9e2b4d6f, sha256:${digest}` });
    expect(config.apiKeyHashes).toHaveLength(2);
    expect(config.apiKeyHashes[1].toString('hex')).toBe(digest);
    expect(() => loadConfig({ INGEST_API_KEYS: 'sha256:xyz' })).toThrow(/64 hex digits/);
  });

  it('refuses RUN_MIGRATIONS=true: the apps no longer migrate, npm run migrate does', () => {
    expect(() => loadConfig({ RUN_MIGRATIONS: 'true' })).toThrow(/RUN_MIGRATIONS: the apps no longer migrate at start; run `npm run migrate`/);
    expect(() => loadConfig({ RUN_MIGRATIONS: 'false' })).not.toThrow();
  });

  it('reads per-lane concurrency as one number or lane=n pairs', () => {
    expect(loadConfig({ WORKER_CONCURRENCY: '8' }).workerConcurrency).toEqual({ critical: 8, normal: 8, low: 8 });
    expect(loadConfig({ WORKER_CONCURRENCY: 'critical=16,low=1' }).workerConcurrency).toEqual({ critical: 16, normal: 4, low: 1 });
  });
});

describe('LaneRouter', () => {
  const router = new LaneRouter(
    loadConfig({ LANE_ROUTES: 'payment.captured=critical,analytics.*=low,analytics.alert.*=critical' }).laneRoutes,
  );

  it('prefers priority, then the exact type, then the longest prefix, then normal', () => {
    expect(router.laneFor('payment.captured', 'low')).toBe('low');
    expect(router.laneFor('payment.captured')).toBe('critical');
    expect(router.laneFor('analytics.pageview')).toBe('low');
    expect(router.laneFor('analytics.alert.fired')).toBe('critical');
    expect(router.laneFor('order.created')).toBe('normal');
  });
});

const STRONG_KEY = 'strong-key-7a9c1e3b5d7f9a2c4e6b8d0f';

describe('ingestAuthProblem (the absorber fails closed)', () => {
  const problem = (env: Record<string, string>) => ingestAuthProblem(loadConfig(env));

  it('refuses no keys in production, or with INGEST_AUTH=on, naming the way out', () => {
    expect(problem({ NODE_ENV: 'production' })).toBe(
      'INGEST_API_KEYS: not set, and NODE_ENV=production requires it; set keys, or INGEST_AUTH=off to accept events from anyone',
    );
    expect(problem({ INGEST_AUTH: 'on' })).toMatch(/^INGEST_API_KEYS: not set, and INGEST_AUTH=on requires it/);
    expect(() => checkAbsorberConfig(loadConfig({ NODE_ENV: 'production' }))).toThrow(ConfigError);
  });

  it('accepts keys, an explicit INGEST_AUTH=off, or no keys outside production', () => {
    expect(problem({ NODE_ENV: 'production', INGEST_API_KEYS: STRONG_KEY })).toBeUndefined();
    expect(problem({ NODE_ENV: 'production', INGEST_AUTH: 'off' })).toBeUndefined();
    expect(problem({ NODE_ENV: 'development' })).toBeUndefined();
  });

  it('refuses INGEST_AUTH=off together with keys, and an unknown INGEST_AUTH value', () => {
    expect(problem({ INGEST_AUTH: 'off', INGEST_API_KEYS: STRONG_KEY })).toBe('INGEST_AUTH: is off but INGEST_API_KEYS is set; unset one of them');
    expect(() => loadConfig({ INGEST_AUTH: 'maybe' })).toThrow(/INGEST_AUTH: must be one of on, off \(got "maybe"\)/);
  });
});
