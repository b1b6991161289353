import { createHash } from 'node:crypto';
import { Lane, LANES, LaneRoute } from './lanes';
import { payloadBucketName } from './queue-names';
import { DatabaseCa, databaseCaConflict, parseDatabaseCa } from './database-ca';
import { EnvReader } from './parse';
import { weakEntries, weakSecret } from './secret-strength';
import { parseWebhookSources, WebhookSource } from './webhooks';

export const QUEUE_DRIVERS = ['bullmq', 'sqs'] as const;
export type QueueDriverName = (typeof QUEUE_DRIVERS)[number];
export const IDEMPOTENCY_STORES = ['redis', 'postgres'] as const;
export type IdempotencyStoreName = (typeof IDEMPOTENCY_STORES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** `json`: one JSON object a line, for collectors (the default everywhere); `pretty`: for a person (`npm run dev`). */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** The whole validated configuration; both apps and the TypeORM CLI read this and nothing else. */
export interface SpillwayConfig {
  queueDriver: QueueDriverName;
  redisUrl: string;
  databaseUrl: string;
  /** Connections in this process's Postgres pool (a Lambda function sets a few: many run at once). */
  dbPoolMax: number;
  /** DATABASE_IAM_AUTH=on: no password in DATABASE_URL; an RDS IAM token is made per connection, over TLS. */
  databaseIamAuth: boolean;
  /** DATABASE_CA: the CAs the database's certificate must chain to (verify-full); unset = Node's store. */
  databaseCa?: DatabaseCa;
  awsRegion: string;
  sqsEndpoint?: string;
  /** SQS: how long a busy lane's next send waits to gather more events (0 = group commit only). */
  sqsSendLingerMs: number;
  /** SQS: /metrics reads the broker's counts at most this often (seconds); scrapes between serve the last reading. 0: every scrape. */
  sqsMetricsReadS: number;
  /** SQS: pause after a receive that came back short, so the next one is fuller. */
  sqsReceiveLingerMs: number;
  /** S3 bucket for SQS payloads over the message size limit (claim check). */
  payloadBucket: string;
  queuePrefix: string;
  port: number;
  workerHealthPort: number;
  /** sha256 digests of accepted API keys; empty means auth is off (see `ingestAuthProblem`). */
  apiKeyHashes: Buffer[];
  /** INGEST_AUTH: `on` requires keys, `off` runs open on purpose; unset = `on` when NODE_ENV=production. */
  ingestAuth: 'on' | 'off' | undefined;
  /** NODE_ENV=production (the image sets it), where the absorber fails closed. */
  production: boolean;
  /** HMAC secrets for `X-Signature-256`; empty means signatures are not required. */
  hmacSecrets: string[];
  /** How far a signature's timestamp may be from the server's clock, in seconds. */
  signatureToleranceS: number;
  /** Port of the absorber's own `/metrics` listener (never the public one); 0 picks a free one. */
  metricsPort: number;
  /** Address that listener binds. */
  metricsHost: string;
  /** Events per second per tenant (API key) and absorber replica; 0 is off. */
  tenantRateLimit: number;
  /** Broker messages waiting in a lane at which new events for it are refused (503); 0 is off. */
  laneHighWater: Record<Lane, number>;
  /** Percent of Redis `maxmemory` in use at which a lane's new events are refused (503); 0 is off. */
  redisMemoryHighWater: Record<Lane, number>;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  /** A file the log lines are appended to instead of stdout (created with its folder); unset: stdout. */
  logFile?: string;
  laneRoutes: LaneRoute[];
  workerLanes: Lane[];
  workerConcurrency: Record<Lane, number>;
  maxAttempts: number;
  retryBaseMs: number;
  /** How long a delivery is leased to one worker before another may take it. */
  leaseMs: number;
  enqueueTimeoutMs: number;
  /** Events the absorber may have awaiting the broker's answer at once; over it, 503 before writing. */
  enqueueMaxInFlight: number;
  /** IDEMPOTENCY_STORE: where Idempotency-Key records live; unset = beside the broker (bullmq: redis, sqs: postgres). */
  idempotencyStore: IdempotencyStoreName;
  /** How long an Idempotency-Key holds its events' ids (ms). */
  idempotencyWindowMs: number;
  /** How long an Idempotency-Key record is kept (ms, at least the window). */
  idempotencyRetentionMs: number;
  bodyLimitBytes: number;
  /** Pause between readiness turning false and the listener closing (Kubernetes endpoint removal). */
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  /** The absorber's listener against slow clients; 0 connections means no cap. */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
  /**
   * Days a `processed_events` row is kept (the worker sweeps older ones) and a claim-check object
   * lives (S3 lifecycle rule, at least 15 days: the queues keep messages 14). At least 1: the
   * Idempotency-Key window. A delivery of an event older than this is applied again.
   */
  ledgerRetentionDays: number;
  /** How often each worker sweeps `processed_events` (ms); the first sweep comes after 1 to 2 times min(this, 30 s). */
  ledgerSweepEveryMs: number;
  /** `POST /v1/hooks/<source>`: WEBHOOK_SOURCES with each one's secrets (docs/webhooks.md). */
  webhooks: WebhookSource[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

function parseApiKeys(reader: EnvReader): Buffer[] {
  const raw = reader.optional('INGEST_API_KEYS');
  if (!raw) return [];
  const hashes: Buffer[] = [];
  const plain: string[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (entry.startsWith('sha256:')) {
      const hex = entry.slice('sha256:'.length);
      if (!/^[0-9a-f]{64}$/i.test(hex)) {
        reader.problems.push('INGEST_API_KEYS: a sha256: entry must hold 64 hex digits');
        continue;
      }
      hashes.push(Buffer.from(hex, 'hex'));
    } else {
      hashes.push(createHash('sha256').update(entry).digest());
      plain.push(entry);
    }
  }
  const weak = weakEntries('INGEST_API_KEYS', plain, weakSecret);
  if (weak) reader.problems.push(`${weak} (or give its sha256: digest)`);
  return hashes;
}

function parseHmacSecrets(reader: EnvReader): string[] {
  const secrets = (reader.optional('INGEST_HMAC_SECRETS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const weak = weakEntries('INGEST_HMAC_SECRETS', secrets, weakSecret);
  if (weak) reader.problems.push(weak);
  return secrets;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SpillwayConfig {
  const r = new EnvReader(env);
  const sqsEndpoint = r.optional('SQS_ENDPOINT');
  if (sqsEndpoint) r.url('SQS_ENDPOINT', sqsEndpoint, ['http:', 'https:']);
  const queuePrefix = r.string('QUEUE_PREFIX', 'spillway');
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(queuePrefix)) {
    r.problems.push('QUEUE_PREFIX: 1-40 letters, digits, - or _ (it becomes part of queue names)');
  }
  const payloadBucket = r.string('SQS_PAYLOAD_BUCKET', payloadBucketName(queuePrefix));
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(payloadBucket)) {
    r.problems.push(`SQS_PAYLOAD_BUCKET: not a valid S3 bucket name (got "${payloadBucket}")`);
  }
  const queueDriver = r.oneOf('QUEUE_DRIVER', QUEUE_DRIVERS, 'bullmq');
  const config: SpillwayConfig = {
    queueDriver,
    redisUrl: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test', ['postgres:', 'postgresql:']),
    dbPoolMax: r.int('DB_POOL_MAX', 20, 1, 1000),
    databaseIamAuth: r.oneOf('DATABASE_IAM_AUTH', ['on', 'off'] as const, 'off') === 'on',
    databaseCa: parseDatabaseCa(r),
    awsRegion: r.string('AWS_REGION', 'us-east-1'),
    sqsEndpoint,
    payloadBucket,
    sqsSendLingerMs: r.int('SQS_SEND_LINGER_MS', 10, 0, 1000),
    sqsReceiveLingerMs: r.int('SQS_RECEIVE_LINGER_MS', 100, 0, 10_000),
    sqsMetricsReadS: r.int('SQS_METRICS_READ_S', 60, 0, 3600),
    queuePrefix,
    port: r.int('PORT', 8080, 1, 65535),
    workerHealthPort: r.int('WORKER_HEALTH_PORT', 8081, 1, 65535),
    apiKeyHashes: parseApiKeys(r),
    ingestAuth: r.optional('INGEST_AUTH') === undefined ? undefined : r.oneOf('INGEST_AUTH', ['on', 'off'] as const, 'on'),
    production: r.optional('NODE_ENV') === 'production',
    hmacSecrets: parseHmacSecrets(r),
    signatureToleranceS: r.int('SIGNATURE_TOLERANCE_S', 300, 1, 86_400),
    metricsPort: r.int('METRICS_PORT', 9464, 0, 65535),
    metricsHost: r.string('METRICS_HOST', '0.0.0.0'),
    tenantRateLimit: r.int('TENANT_RATE_LIMIT', 0, 0, 10_000_000),
    laneHighWater: r.perLane('LANE_HIGH_WATER', { critical: 100_000, normal: 50_000, low: 20_000 }, 0, 100_000_000),
    redisMemoryHighWater: r.perLane('REDIS_MEMORY_HIGH_WATER', { critical: 90, normal: 85, low: 80 }, 0, 99),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'json'),
    logFile: r.optional('LOG_FILE'),
    laneRoutes: r.routes('LANE_ROUTES'),
    workerLanes: r.lanes('WORKER_LANES', LANES),
    workerConcurrency: r.perLane('WORKER_CONCURRENCY', 4, 1, 256),
    maxAttempts: r.int('MAX_ATTEMPTS', 5, 1, 100),
    retryBaseMs: r.int('RETRY_BASE_MS', 1000, 1, 3_600_000),
    leaseMs: r.int('LEASE_MS', 30_000, 1000, 43_200_000),
    enqueueTimeoutMs: r.int('ENQUEUE_TIMEOUT_MS', 1000, 10, 60_000),
    enqueueMaxInFlight: r.int('ENQUEUE_MAX_IN_FLIGHT', 20_000, 1, 10_000_000),
    // Beside the broker's own state by default: on SQS no Redis need exist.
    idempotencyStore: r.oneOf('IDEMPOTENCY_STORE', IDEMPOTENCY_STORES, queueDriver === 'sqs' ? 'postgres' : 'redis'),
    idempotencyWindowMs: r.int('IDEMPOTENCY_WINDOW_SECONDS', 86_400, 1, 30 * 86_400) * 1000,
    idempotencyRetentionMs: r.int('IDEMPOTENCY_RETENTION_SECONDS', 172_800, 1, 365 * 86_400) * 1000,
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    shutdownDelayMs: r.int('SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 25_000, 1000, 3_600_000),
    http: {
      requestTimeoutMs: r.int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
      headersTimeoutMs: r.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 500, 600_000),
      // Above the idle timeout of a proxy in front (ALB 60 s), so the proxy closes first.
      keepAliveTimeoutMs: r.int('HTTP_KEEPALIVE_TIMEOUT_MS', 72_000, 1000, 600_000),
      maxConnections: r.int('HTTP_MAX_CONNECTIONS', 10_000, 0, 1_000_000),
    },
    ledgerRetentionDays: r.int('LEDGER_RETENTION_DAYS', 30, 1, 3650),
    ledgerSweepEveryMs: r.int('LEDGER_SWEEP_EVERY_MS', 15 * 60_000, 100, 86_400_000),
    webhooks: parseWebhookSources(r, env),
  };
  // The apps used to migrate at start when this was true; now `npm run migrate` is its own step,
  // and a deployment that still counts on the old behaviour must hear so rather than run unmigrated.
  if (r.bool('RUN_MIGRATIONS', false)) {
    r.problems.push('RUN_MIGRATIONS: the apps no longer migrate at start; run `npm run migrate` before them and unset RUN_MIGRATIONS');
  }
  // An IAM token replaces the password; one in the URL as well would say two things.
  if (config.databaseIamAuth && URL.canParse(config.databaseUrl) && new URL(config.databaseUrl).password) {
    r.problems.push('DATABASE_URL: holds a password, but DATABASE_IAM_AUTH=on makes an IAM token per connection; remove the password');
  }
  const caConflict = config.databaseCa && databaseCaConflict(config.databaseUrl);
  if (caConflict) r.problems.push(caConflict);
  if (config.idempotencyRetentionMs < config.idempotencyWindowMs) {
    r.problems.push('IDEMPOTENCY_RETENTION_SECONDS: must be at least IDEMPOTENCY_WINDOW_SECONDS (a record must outlive its window)');
  }
  // Node refuses a server whose headers timeout outlasts its request timeout.
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    r.problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (r.problems.length) throw new ConfigError(r.problems);
  return config;
}

/**
 * The absorber fails closed: with no API keys it refuses to start when INGEST_AUTH=on, or in
 * production (NODE_ENV=production, which the image sets) unless INGEST_AUTH=off says an open
 * ingest is meant. Off together with keys is a contradiction, refused too. One line, or undefined.
 */
export function ingestAuthProblem(config: SpillwayConfig): string | undefined {
  const keys = config.apiKeyHashes.length > 0;
  if (config.ingestAuth === 'off') {
    return keys ? 'INGEST_AUTH: is off but INGEST_API_KEYS is set; unset one of them' : undefined;
  }
  if (keys || (config.ingestAuth === undefined && !config.production)) return undefined;
  const why = config.ingestAuth === 'on' ? 'INGEST_AUTH=on' : 'NODE_ENV=production';
  return `INGEST_API_KEYS: not set, and ${why} requires it; set keys, or INGEST_AUTH=off to accept events from anyone`;
}

/** Checks only the absorber makes at start, on top of `loadConfig`. */
export function checkAbsorberConfig(config: SpillwayConfig): SpillwayConfig {
  const problem = ingestAuthProblem(config);
  if (problem) throw new ConfigError([problem]);
  return config;
}

/**
 * For `main.ts`: validate before Nest boots; a bad value prints one line per problem and exits,
 * so nothing starts half-configured.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, role?: 'absorber'): SpillwayConfig {
  try {
    const config = loadConfig(env);
    return role === 'absorber' ? checkAbsorberConfig(config) : config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`spillway: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
