import type { Lane } from '@spillway/config';
import type { HeldMark } from './idempotency/held-mark';

export { DependencyDownError } from './errors/dependency-down.error';
export { UnrecoverableError } from './errors/unrecoverable.error';

/** One accepted event as it travels through a broker. */
/**
 * Who put an event in: a webhook source whose signature verified (`/v1/hooks/<name>`), or the
 * tenant of an API key (`/v1/events`). Set by the absorber, never by the client.
 */
export interface EventOrigin {
  kind: 'source' | 'tenant';
  name: string;
}

export interface QueuedEvent {
  id: string;
  type: string;
  lane: Lane;
  /** Ordering/grouping key; absent means no ordering promise. */
  key?: string;
  data: Record<string, unknown>;
  receivedAt: string;
  /** W3C trace context from the ingest request (validated), carried to the worker's log lines. */
  traceparent?: string;
  /** The authenticated origin; absent on events queued before origins existed. */
  origin?: EventOrigin;
}

/** `source:gh`, `tenant:3f2a...`: how an origin is written in a column or a log line. */
export function originText(origin: EventOrigin | undefined): string | null {
  return origin ? `${origin.kind}:${origin.name}` : null;
}

/**
 * The key ordering is promised for: the client's `key` within its origin, so one tenant's key
 * cannot fence or group with another origin's events of the same key. Undefined: no ordering.
 */
export function orderingKey(event: Pick<QueuedEvent, 'key' | 'origin'>): string | undefined {
  if (event.key === undefined) return undefined;
  return event.origin ? `${event.origin.kind}:${event.origin.name}/${event.key}` : event.key;
}

/**
 * What a worker gets: one broker message, carrying one or more events. The driver retries the
 * whole delivery when the handler throws; effect-once per event is the worker's ledger's job.
 */
export interface Delivery {
  lane: Lane;
  events: QueuedEvent[];
  /** 1 on first delivery. */
  attempt: number;
  maxAttempts: number;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface DeadLetter {
  id: string;
  lane: Lane;
  events: QueuedEvent[];
  attempts: number;
  lastError: string;
  failedAt: string;
  /**
   * Set when the letter's events are kept apart from the broker message (SQS claim check: S3) and
   * were not read: `events` is empty until `wholeLetter()` reads them. `bytes`: the stored payload's
   * size, undefined for a claim check written before sizes were recorded.
   */
  claim?: { bucket: string; key: string; bytes?: number };
}

/** The letter with its events, read from where the broker keeps them apart if it does (one read). */
export function wholeLetter(driver: QueueDriver, letter: DeadLetter): Promise<DeadLetter> {
  return letter.claim && driver.withEvents ? driver.withEvents(letter) : Promise.resolve(letter);
}

export interface PendingDelivery {
  /** waiting: ready to be taken; delayed: in a retry backoff (or a rate-limit pause); active: leased to a worker. */
  state: 'waiting' | 'delayed' | 'active';
  /** The broker's id of the delivery (a BullMQ job id). */
  id: string;
  /** Attempts made so far (0 before the first). */
  attemptsMade: number;
}

export interface LaneDepth {
  /** Ready to be taken now. */
  waiting: number;
  /** Waiting for a retry backoff (BullMQ; SQS shows those as active: they are invisible). */
  delayed: number;
  /** Leased to a worker right now. */
  active: number;
  deadLettered: number;
}

/**
 * What a broker cannot do is stated here rather than hidden: callers and the contract tests
 * branch on these flags, never on the driver's name.
 */
export interface QueueCapabilities {
  /** Lanes where deliveries sharing a `key` are handed out one at a time, in send order. */
  orderedLanes: readonly Lane[];
  /** Lanes where the broker drops a repeat of the same events sent within `dedupeWindowSeconds`. */
  dedupeLanes: readonly Lane[];
  dedupeWindowSeconds: number;
  /** Largest broker message, in bytes. The SQS driver sends bigger payloads by claim check (S3). */
  maxMessageBytes: number;
  /** The broker moves a message to its dead-letter queue by itself after N receives. */
  nativeDeadLetter: boolean;
  /** A delivery whose worker died (lease expired) counts as an attempt. */
  stallsCountAsAttempts: boolean;
  /** `depth()` is exact (false: the broker only gives approximate counts). */
  exactDepth: boolean;
  /** `oldestAgeSeconds()` answers from the broker (false: always undefined, as SQS's queue API). */
  oldestAge: boolean;
}

export interface ConsumeOptions {
  concurrency: number;
}

export interface Consumer {
  /** Stop fetching, wait for in-flight deliveries to finish (or return them), then disconnect. */
  close(): Promise<void>;
}

/** The port: apps import this interface, never a broker library. */
export interface QueueDriver {
  readonly name: string;
  readonly capabilities: QueueCapabilities;
  /**
   * Resolves only once the broker has durably accepted every event. `marks`: Idempotency-Key
   * records to mark held in the same write, where the broker shares the store's Redis (BullMQ);
   * other drivers ignore them and the caller marks the records itself (idempotency/held-mark.ts).
   */
  enqueue(lane: Lane, events: QueuedEvent[], marks?: readonly HeldMark[]): Promise<void>;
  consume(lane: Lane, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer>;
  depth(lane: Lane): Promise<LaneDepth>;
  /**
   * The lane's backlog only (waiting + delayed), for load shedding, where reading it costs less
   * than depth() (SQS: one request on the lane's queue, not two); absent: callers use depth().
   */
  backlog?(lane: Lane): Promise<Pick<LaneDepth, 'waiting' | 'delayed'>>;
  /** Lists dead letters without reading payloads kept apart (a claim-checked letter comes with `claim` set, no events). */
  deadLetters(lane: Lane, limit: number): Promise<DeadLetter[]>;
  /**
   * The letter with its claim-checked events read (SQS: one S3 GetObject); absent on brokers that
   * always list whole letters (BullMQ). Callers use `wholeLetter()`.
   */
  withEvents?(letter: DeadLetter): Promise<DeadLetter>;
  /**
   * Moves dead letters back to their lane (all of the lane's, or those with the given ids, as
   * `deadLetters()` names them); returns how many moved. An id that names no dead letter moves nothing.
   */
  redrive(lane: Lane, ids?: readonly string[]): Promise<number>;
  /**
   * The delivery holding an event that still waits on the lane, is in a retry backoff, or is being
   * delivered; undefined when none does. Absent on brokers that cannot be searched without
   * receiving (SQS): `status --event` says so instead.
   */
  findPending?(lane: Lane, eventId: string): Promise<PendingDelivery | undefined>;
  /** Deletes dead letters for good (all of the lane's, or those with the given ids); returns how many. */
  discardDeadLetters(lane: Lane, ids?: readonly string[]): Promise<number>;
  /**
   * Seconds since the oldest waiting delivery was enqueued, 0 when none waits; undefined when the
   * broker offers no way to read it (SQS: ApproximateAgeOfOldestMessage is a CloudWatch metric only).
   */
  oldestAgeSeconds(lane: Lane): Promise<number | undefined>;
  /** Throws when the broker is unreachable; fast, for readiness and load shedding. */
  ping(): Promise<void>;
  /**
   * How full the broker's memory is, for brokers that hold every message in a bounded memory
   * (Redis `maxmemory`); undefined when it has no bound or the broker has no such limit (SQS).
   */
  memoryUse?(): Promise<BrokerMemory | undefined>;
  /** True when the producer connection is up right now (no I/O). */
  isConnected(): boolean;
  /** Waits (bounded) for the first connection, so a fresh process does not refuse its first requests. */
  waitUntilConnected(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface BrokerMemory {
  usedBytes: number;
  maxBytes: number;
}

export const QUEUE_DRIVER = Symbol('QUEUE_DRIVER');

// Kept importable from here for the drivers that always did; each is defined in errors/.
export { BrokerUnavailableError } from './errors/broker-unavailable.error';
