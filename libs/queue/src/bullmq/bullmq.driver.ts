import { DelayedError, Job, Queue, Worker } from 'bullmq';
import IORedis, { RedisOptions } from 'ioredis';
import type { Lane, SpillwayConfig } from '@spillway/config';
import {
  BrokerUnavailableError,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeliveryHandler,
  BrokerMemory,
  LaneDepth,
  PendingDelivery,
  QueueCapabilities,
  QueueDriver,
  QueuedEvent,
} from '../queue.port';
import { decide, HandlerResult, retryDelayMs, RUNNING } from '../delivery-policy';
import { errorText, withTimeout } from '../timeout';
import type { HeldMark } from '../idempotency/held-mark';
import { addEventJobs } from './bullmq-enqueue';
import { LaneWrites } from './lane-writes';

interface EventsJob {
  events: QueuedEvent[];
}
interface DeadJob extends EventsJob {
  attempts: number;
  lastError: string;
  failedAt: string;
}
/** A dead letter that is a job in the lane's failed set (not a DLQ copy) has this id prefix. */
const FAILED_ID = 'failed:';
/**
 * The jobs' backoff type: not one of BullMQ's built-in ones, so BullMQ asks the worker's
 * backoffStrategy, which answers the delivery policy's delay. Jobs queued before it carry
 * `exponential`, which BullMQ computes as the same doubling.
 */
const POLICY_BACKOFF = 'delivery-policy';

/**
 * BullMQ on Redis: one queue per lane (`<prefix>:<lane>`) and a `<lane>-dlq` twin. What happens
 * after the handler is the delivery policy's verdict (delivery-policy.ts), carried out here: a
 * retry is BullMQ's own failed attempt with the policy's backoff; a dead letter is copied to the
 * DLQ (keyed by job id, so a crash between copy and completion cannot duplicate it) before the job
 * completes; a hold keeps the job active (its lock renewed) and runs it again.
 */
export class BullmqDriver implements QueueDriver {
  readonly name = 'bullmq';
  /** Static so the contract tests can decide what applies before a driver connects. */
  static readonly CAPABILITIES: QueueCapabilities = {
    // BullMQ OSS has no per-key groups: concurrency > 1 may reorder events of one key.
    orderedLanes: [],
    // Job ids are BullMQ's counter, or unique ones for jobs carrying a held mark: every enqueue
    // is a new job; the worker's ledger drops repeats.
    dedupeLanes: [],
    dedupeWindowSeconds: 0,
    // Redis's limit for one value; no claim check (nothing near it gets past the body limit).
    maxMessageBytes: 512 * 1024 * 1024,
    nativeDeadLetter: false,
    stallsCountAsAttempts: false,
    exactDepth: true,
    oldestAge: true,
  };
  readonly capabilities = BullmqDriver.CAPABILITIES;

  private readonly producer: IORedis;
  private readonly queues = new Map<string, Queue>();
  /** Open consumers: close() closes them (their Worker, its blocking connection, their own). */
  private readonly consumers = new Set<Consumer>();
  /** One write per lane in flight; what arrives meanwhile goes out together next (lane-writes.ts). */
  private readonly writes: LaneWrites;

  constructor(private readonly config: SpillwayConfig) {
    // Fail fast while Redis is down: no offline queue, one try per command, so the absorber can
    // answer 503 at once instead of holding the request.
    this.producer = new IORedis(config.redisUrl, {
      ...this.baseOptions(),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A write Redis does not answer in time is given up on (its outcome unknown), so writes
      // cannot pile up behind a slow Redis.
      commandTimeout: config.enqueueTimeoutMs,
    });
    this.producer.on('error', () => undefined); // state is read via isConnected(); avoid log floods
    this.writes = new LaneWrites((lane, events, marks) => this.write(lane, events, marks), config.enqueueTimeoutMs);
  }

  private baseOptions(): RedisOptions {
    return {
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    };
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.producer, prefix: this.config.queuePrefix });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  private jobOptions() {
    return {
      attempts: this.config.maxAttempts,
      backoff: { type: POLICY_BACKOFF },
      removeOnComplete: true,
      removeOnFail: false,
    };
  }

  isConnected(): boolean {
    return this.producer.status === 'ready';
  }

  async waitUntilConnected(timeoutMs: number): Promise<boolean> {
    if (this.isConnected()) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.producer.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.producer.on('ready', onReady);
    });
  }

  /**
   * No answer deadline here: the producer connection's commandTimeout (ENQUEUE_TIMEOUT_MS) bounds
   * each write, and a write that times out is reported as unknown, never as refused. Writes to a
   * lane go out one at a time, each carrying what arrived during the one before (LaneWrites).
   */
  async enqueue(lane: Lane, events: QueuedEvent[], marks?: readonly HeldMark[]): Promise<void> {
    if (events.length === 0) return;
    if (!this.isConnected()) throw new BrokerUnavailableError(`redis is not connected (${this.producer.status})`);
    return this.writes.enqueue(lane, events, marks);
  }

  private async write(lane: Lane, events: QueuedEvent[], marks: readonly HeldMark[] | undefined): Promise<void> {
    const queue = this.queue(lane);
    try {
      await queue.waitUntilReady();
    } catch (err) {
      // BullMQ keeps a Queue whose first handshake failed (a slow or lost Redis) failed for good:
      // drop it so the next enqueue starts afresh. Nothing of this one was written.
      this.queues.delete(lane);
      void queue.close().catch(() => undefined);
      throw new BrokerUnavailableError(`enqueue to ${lane} failed: redis handshake: ${(err as Error).message}`, err);
    }
    await addEventJobs(queue, lane, events, this.jobOptions(), marks);
  }

  async consume(lane: Lane, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const connection = new IORedis(this.config.redisUrl, { ...this.baseOptions(), maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const { maxAttempts, retryBaseMs } = this.config;
    const dlq = this.queue(`${lane}-dlq`);
    let closing = false;
    /** The policy's delay for each error a job is failed with, read back by BullMQ's backoffStrategy. */
    const retryDelays = new WeakMap<object, number>();
    const worker = new Worker<EventsJob>(
      lane,
      async (job: Job<EventsJob>, token?: string) => {
        const attempt = job.attemptsMade + 1;
        for (;;) {
          let result: HandlerResult = 'ok';
          try {
            await handler({ lane, events: job.data.events, attempt, maxAttempts });
          } catch (error) {
            result = { error };
          }
          const verdict = decide({ attempt, maxAttempts }, result, { retryBaseMs }, closing ? { hasFollowers: false, canWaitMs: 0 } : RUNNING);
          const error = (result as { error: unknown }).error;
          switch (verdict.kind) {
            case 'ack':
              return;
            case 'dead-letter': {
              const dead: DeadJob = { events: job.data.events, attempts: attempt, lastError: errorText(error), failedAt: new Date().toISOString() };
              await dlq.add('dead', dead, { jobId: `${lane}-${job.id}`, removeOnComplete: true });
              return;
            }
            case 'retry':
            case 'retry-here': {
              // BullMQ's failed attempt (counted), due again after the policy's delay. Thrown as a
              // plain Error: BullMQ acts on some names itself (UnrecoverableError, DelayedError, ...).
              const thrown = new Error(error instanceof Error ? error.message : String(error));
              if (error instanceof Error) thrown.stack = error.stack;
              retryDelays.set(thrown, verdict.delayMs);
              throw thrown;
            }
            case 'hold':
              await new Promise((r) => setTimeout(r, verdict.retryAfterMs));
              continue;
            case 'hand-back':
              // Delayed with its attempts untouched (BullMQ's skipAttempt), for this job only.
              await job.moveToDelayed(Date.now() + verdict.delayMs, token);
              throw new DelayedError();
          }
        }
      },
      {
        connection,
        prefix: this.config.queuePrefix,
        concurrency: options.concurrency,
        lockDuration: this.config.leaseMs,
        stalledInterval: this.config.leaseMs,
        // A killed worker must not burn the job's attempts: stalls are not handler failures.
        maxStalledCount: Math.max(maxAttempts, 10),
        settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => (err && retryDelays.get(err)) ?? retryDelayMs(retryBaseMs, attemptsMade) },
      },
    );
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    const consumer: Consumer = {
      close: async () => {
        this.consumers.delete(consumer);
        closing = true;
        await worker.close();
        await connection.quit().catch(() => connection.disconnect());
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  /** The shedder's read: one count script on the lane, no DLQ, no active or failed sets. */
  async backlog(lane: Lane): Promise<Pick<LaneDepth, 'waiting' | 'delayed'>> {
    const counts = await this.queue(lane).getJobCounts('waiting', 'prioritized', 'delayed');
    return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), delayed: counts.delayed ?? 0 };
  }

  async depth(lane: Lane): Promise<LaneDepth> {
    // BullMQ 6 keeps a paused queue's jobs in its wait list: there is no 'paused' state to add.
    const counts = await this.queue(lane).getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
    const dead = await this.queue(`${lane}-dlq`).getJobCounts('waiting');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      deadLettered: (dead.waiting ?? 0) + (counts.failed ?? 0),
    };
  }

  /**
   * Dead letters are the DLQ's jobs and the lane's failed set: jobs that ended there without a DLQ
   * copy (the copy itself failed, or the job stalled more than maxStalledCount times). Both are
   * listed, counted in depth().deadLettered, and redriven.
   */
  async deadLetters(lane: Lane, limit: number): Promise<DeadLetter[]> {
    const copies = (await this.queue(`${lane}-dlq`).getWaiting(0, limit - 1)) as Job<DeadJob>[];
    const failed = copies.length < limit ? ((await this.queue(lane).getFailed(0, limit - copies.length - 1)) as Job<EventsJob>[]) : [];
    return [
      ...copies.map((job) => ({
        id: String(job.id),
        lane,
        events: job.data.events,
        attempts: job.data.attempts,
        lastError: job.data.lastError,
        failedAt: job.data.failedAt,
      })),
      ...failed.map((job) => ({
        id: `${FAILED_ID}${job.id}`,
        lane,
        events: job.data.events ?? [],
        attempts: job.attemptsMade,
        lastError: `ended in the BullMQ failed set: ${job.failedReason ?? 'no reason recorded'}`,
        failedAt: new Date(job.finishedOn ?? job.processedOn ?? job.timestamp).toISOString(),
      })),
    ];
  }

  async redrive(lane: Lane, ids?: readonly string[]): Promise<number> {
    const dlq = this.queue(`${lane}-dlq`);
    if (ids) return this.moveBack(lane, await this.deadJobsById(lane, ids));
    let moved = 0;
    for (;;) {
      const copies = (await dlq.getWaiting(0, 99)) as Job<DeadJob>[];
      const failed = copies.length ? [] : ((await this.queue(lane).getFailed(0, 99)) as Job<EventsJob>[]);
      const jobs: Job<EventsJob>[] = [...copies, ...failed];
      if (jobs.length === 0) return moved;
      moved += await this.moveBack(lane, jobs);
    }
  }

  /** Add first, then remove: a crash in between redelivers (the ledger skips it); the other order could lose it. */
  private async moveBack(lane: Lane, jobs: Job<EventsJob>[]): Promise<number> {
    if (jobs.length === 0) return 0;
    await this.queue(lane).addBulk(
      jobs.map((job) => ({ name: 'events', data: { events: job.data.events ?? [] }, opts: this.jobOptions() })),
    );
    for (const job of jobs) await job.remove();
    return jobs.length;
  }

  /**
   * The dead letters named by `ids` (DLQ copies by job id, failed-set jobs by `failed:<id>`); a
   * failed-set id whose job is no longer failed (redriven, or running again) names nothing.
   */
  private async deadJobsById(lane: Lane, ids: readonly string[]): Promise<Job<EventsJob>[]> {
    const dlq = this.queue(`${lane}-dlq`);
    const jobs: Job<EventsJob>[] = [];
    for (const id of new Set(ids)) {
      const failed = id.startsWith(FAILED_ID);
      const job = (failed ? await this.queue(lane).getJob(id.slice(FAILED_ID.length)) : await dlq.getJob(id)) as Job<EventsJob> | undefined;
      if (job && (!failed || (await job.isFailed()))) jobs.push(job);
    }
    return jobs;
  }

  /** Both kinds that deadLetters() lists: DLQ copies by their job id, failed-set jobs by `failed:<id>`. */
  async discardDeadLetters(lane: Lane, ids?: readonly string[]): Promise<number> {
    const dlq = this.queue(`${lane}-dlq`);
    let removed = 0;
    if (ids) {
      const jobs = await this.deadJobsById(lane, ids);
      for (const job of jobs) await job.remove();
      return jobs.length;
    }
    for (;;) {
      const copies = await dlq.getWaiting(0, 99);
      const jobs = copies.length ? copies : await this.queue(lane).getFailed(0, 99);
      if (jobs.length === 0) return removed;
      for (const job of jobs) await job.remove();
      removed += jobs.length;
    }
  }

  /** Scans the lane's waiting, delayed and active jobs, 500 at a time: O(lane), for an operator's one look. */
  async findPending(lane: Lane, eventId: string): Promise<PendingDelivery | undefined> {
    const queue = this.queue(lane);
    for (const state of ['active', 'delayed', 'waiting', 'prioritized'] as const) {
      for (let start = 0; ; start += 500) {
        const jobs = (await queue.getJobs([state], start, start + 499, true)) as Job<EventsJob>[];
        const job = jobs.find((j) => j?.data?.events?.some((e) => e.id === eventId));
        if (job) return { state: state === 'prioritized' ? 'waiting' : state, id: String(job.id), attemptsMade: job.attemptsMade };
        if (jobs.length < 500) break;
      }
    }
    return undefined;
  }

  /** From the oldest job in the lane's wait list (jobs are timestamped when added). */
  async oldestAgeSeconds(lane: Lane): Promise<number> {
    // One job from each list (asc: the oldest end); the earliest of those is the lane's oldest.
    const heads = await this.queue(lane).getJobs(['wait', 'prioritized'], 0, 0, true);
    if (heads.length === 0) return 0;
    return Math.max(0, (Date.now() - Math.min(...heads.map((j) => j.timestamp))) / 1000);
  }

  async ping(): Promise<void> {
    if (!this.isConnected()) throw new BrokerUnavailableError(`redis is not connected (${this.producer.status})`);
    await withTimeout(this.producer.ping(), 500, () => new BrokerUnavailableError('redis ping timed out'));
  }

  /** Redis's INFO memory: used_memory against maxmemory (0 = unbounded, so undefined). */
  async memoryUse(): Promise<BrokerMemory | undefined> {
    const info = await withTimeout(this.producer.info('memory'), 500, () => new BrokerUnavailableError('redis INFO timed out'));
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
    const maxBytes = field('maxmemory');
    return maxBytes > 0 ? { usedBytes: field('used_memory'), maxBytes } : undefined;
  }

  async close(): Promise<void> {
    // Consumers first: a delivery they finish may still write its dead-letter copy to a queue.
    await Promise.all([...this.consumers].map((c) => c.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    await this.producer.quit().catch(() => this.producer.disconnect());
  }
}
