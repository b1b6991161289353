import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { API_KEY, LANE_ROUTES } from './load';
import { ROOT } from './processes';

/** One server under test: how to start it, and what its broker should hold afterwards. */
export interface ServerSpec {
  key: 'absorber' | 'baseline' | 'fastify' | 'naive';
  label: string;
  script: string;
  env(redisUrl: string, port: number): Record<string, string>;
  /**
   * What the loss check counts: events inside jobs in Redis, one job per event, nothing, or (SQS)
   * the processed_events rows a worker commits after draining the queues.
   */
  stores: 'events' | 'jobs' | 'nothing' | 'ledger';
  nodeArgs?: string[];
}

export const ABSORBER_PREFIX = 'bench';

/** Production settings: auth on (two accepted keys), validation, lane routes, metrics, AOF Redis. */
export function absorberEnv(driver: string, redisUrl: string, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    QUEUE_DRIVER: driver,
    REDIS_URL: redisUrl,
    PORT: String(port),
    QUEUE_PREFIX: ABSORBER_PREFIX,
    INGEST_API_KEYS: `another-tenant-key-4a6c8e0b2d5f7a9c1e3b,${API_KEY}`,
    LANE_ROUTES,
    LOG_LEVEL: 'info',
    // Its own metrics listener runs as in production, on a free port (nothing here scrapes it).
    METRICS_PORT: '0',
  };
}

/**
 * The absorber's V8 flags as deployed: NODE_OPTIONS of the compose file's absorber, which synth
 * renders from the definition (deploy/model/node-options.ts). Passed as node flags to both builds
 * of the absorber, so the bench measures the heap it ships with; --node-args come after them.
 */
export function deployedNodeArgs(): string[] {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services?: { absorber?: { environment?: Record<string, string> } } };
  return (compose.services?.absorber?.environment?.NODE_OPTIONS ?? '').split(' ').filter(Boolean);
}

export function serverSpecs(driver: string, baselineDist?: string, absorberNodeArgs: string[] = []): ServerSpec[] {
  const baseline: ServerSpec[] = baselineDist
    ? [
        {
          key: 'baseline',
          label: `absorber, earlier build (${baselineDist})`,
          script: join(baselineDist, 'apps/absorber/src/main.js'),
          env: (redisUrl, port) => absorberEnv(driver, redisUrl, port),
          stores: driver === 'sqs' ? 'ledger' : 'events',
          nodeArgs: deployedNodeArgs(),
        },
      ]
    : [];
  return [
    ...baseline,
    {
      key: 'absorber',
      label: `Spillway absorber (Nest + Fastify, ${driver})`,
      script: 'dist/apps/absorber/src/main.js',
      env: (redisUrl, port) => absorberEnv(driver, redisUrl, port),
      stores: driver === 'sqs' ? 'ledger' : 'events',
      nodeArgs: [...deployedNodeArgs(), ...absorberNodeArgs],
    },
    {
      key: 'fastify',
      label: 'bare Fastify, 202 without enqueue (ceiling)',
      script: 'dist/bench/peers/bare-fastify.js',
      env: (_redisUrl, port) => ({ NODE_ENV: 'production', PORT: String(port) }),
      stores: 'nothing',
    },
    {
      key: 'naive',
      // With --driver sqs too: it is the peer the issue names, and it stays on BullMQ/Redis.
      label: 'naive peer: Nest + Express, @nestjs/bullmq add per request',
      script: 'dist/bench/peers/naive-nest-express.js',
      env: (redisUrl, port) => ({ NODE_ENV: 'production', PORT: String(port), REDIS_URL: redisUrl }),
      stores: 'jobs',
    },
  ];
}
