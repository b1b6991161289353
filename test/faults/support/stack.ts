import IORedis from 'ioredis';
import { LANES, QueueDriverName } from '@spillway/config';
import { ensureSqsQueues } from '../../support/drivers';
import { testEnv, uniquePrefix, waitFor } from '../../support/env';
import { AppProcess } from '../../support/processes';
import { freePort, RedisServer } from '../../support/redis-server';

export interface Member {
  proc: AppProcess;
  port: number;
  url: string;
  /** Where `/metrics` is: the absorber's own metrics port, the worker's health port. */
  metricsUrl: string;
}

/**
 * Real processes for one fault case: absorbers and workers from the build, the shared Postgres,
 * and the broker: on bullmq a Redis of its own (AOF, fsync on every write, so what was
 * acknowledged survives kill -9); on sqs the run's fauxqs with queues of the case's own prefix.
 */
export class Stack {
  readonly prefix = uniquePrefix('fault');
  readonly absorbers: Member[] = [];
  readonly workers: Member[] = [];

  private constructor(private readonly redisServer: RedisServer | undefined, private readonly base: Record<string, string>) {}

  static async start(env: Record<string, string> = {}, driver: QueueDriverName = 'bullmq'): Promise<Stack> {
    if (driver === 'sqs') {
      const stack = new Stack(undefined, { ...env, QUEUE_DRIVER: 'sqs' });
      await ensureSqsQueues(stack.env());
      return stack;
    }
    return new Stack(await RedisServer.start({ aof: true }), env);
  }

  get redis(): RedisServer {
    if (!this.redisServer) throw new Error('this stack runs on SQS: it has no Redis');
    return this.redisServer;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return testEnv({
      ...(this.redisServer ? { REDIS_URL: this.redisServer.url } : {}),
      QUEUE_PREFIX: this.prefix,
      LEASE_MS: '2000',
      RETRY_BASE_MS: '200',
      ...this.base,
      ...extra,
    });
  }

  private async member(kind: 'absorber' | 'worker', extra: Record<string, string>): Promise<Member> {
    const port = await freePort();
    const metricsPort = kind === 'absorber' ? await freePort() : port;
    const proc =
      kind === 'absorber'
        ? AppProcess.absorber(this.env({ PORT: String(port), METRICS_PORT: String(metricsPort), ...extra }))
        : AppProcess.start('test/fixtures/test-worker.js', this.env({ WORKER_HEALTH_PORT: String(port), ...extra }));
    const member = { proc, port, url: `http://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}` };
    await waitFor(`${kind} on :${port} to be ready`, async () => {
      if (!proc.running) throw new Error(`${kind} exited: ${proc.output.slice(-2000)}`);
      return (await fetch(`${member.url}/health/ready`)).status === 200;
    }, 30_000);
    return member;
  }

  async addAbsorber(extra: Record<string, string> = {}): Promise<Member> {
    const m = await this.member('absorber', extra);
    this.absorbers.push(m);
    return m;
  }

  async addWorker(extra: Record<string, string> = {}): Promise<Member> {
    const m = await this.member('worker', extra);
    this.workers.push(m);
    return m;
  }

  /** The lease (SQS visibility) the case's processes run with. */
  get leaseMs(): number {
    return Number(this.env().LEASE_MS);
  }

  /** Jobs waiting in this stack's Redis (not yet taken by a worker), read straight from Redis. */
  async waitingJobs(): Promise<number> {
    const redis = new IORedis(this.redis.url, { maxRetriesPerRequest: 1 });
    try {
      let n = 0;
      for (const lane of LANES) {
        const base = `${this.prefix}:${lane}`;
        const [wait, paused, prioritized] = await Promise.all([redis.llen(`${base}:wait`), redis.llen(`${base}:paused`), redis.zcard(`${base}:prioritized`)]);
        n += wait + paused + prioritized;
      }
      return n;
    } finally {
      redis.disconnect();
    }
  }

  /** Absorbers still running, for a load generator to target. */
  liveAbsorberUrls(): string[] {
    return this.absorbers.filter((m) => m.proc.running).map((m) => m.url);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.absorbers, ...this.workers].map((m) => m.proc.stop('SIGKILL')));
    await this.redisServer?.kill();
  }
}
