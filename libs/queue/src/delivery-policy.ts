import { DependencyDownError } from './errors/dependency-down.error';
import { UnrecoverableError } from './errors/unrecoverable.error';
import type { Delivery } from './queue.port';

/**
 * The fate of a delivery, decided here once; the BullMQ driver, the SQS lane consumer and the SQS
 * batch consumer (Lambda) only carry the verdict out with their broker's calls.
 *
 * - ack: delete / complete it.
 * - dead-letter: write the driver's dead-letter copy (with the error), then delete / complete it.
 * - retry: hand it back charged (the attempt counts), due again after `delayMs`; on FIFO, the rest
 *   of its group in the consumer's hands goes back unrun, visible now.
 * - retry-here: keep it (and the rest of its group) leased, run it again after `delayMs` as its
 *   next attempt. Only for a FIFO head with followers: handing it back would charge each follower
 *   a receive it never ran (SQS counts every receive towards its redrive policy).
 * - hold: a dependency is down, not the delivery's fault: keep it leased, uncharged, and run it
 *   again after `retryAfterMs` (same attempt).
 * - hand-back: a dependency is down but the consumer cannot keep it (closing, out of time): give
 *   it back uncharged, due again no sooner than `delayMs`; the rest of its group goes back unrun,
 *   visible now. Where every receive is charged (SQS) it is left to its lease instead: an early
 *   redelivery would likely find the dependency still down and spend a receive, and SQS's redrive
 *   policy moves a message to the dead-letter queue after MAX_ATTEMPTS receives, whatever failed.
 */
export type Verdict =
  | { kind: 'ack' }
  | { kind: 'dead-letter'; reason: 'unrecoverable' | 'attempts spent' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'retry-here'; delayMs: number }
  | { kind: 'hold'; retryAfterMs: number }
  | { kind: 'hand-back'; delayMs: number };

/** The handler's result: 'ok', or what it threw. */
export type HandlerResult = 'ok' | { error: unknown };

/** The lane's settings the policy reads. */
export interface PolicySettings {
  /** The first retry's delay; each later one doubles. */
  retryBaseMs: number;
}

/** Where the consumer stands when the delivery's handler returned. */
export interface ConsumerRoom {
  /** Later messages of the same FIFO group wait in this consumer's hands behind this delivery. */
  hasFollowers: boolean;
  /** How long the consumer can still keep the delivery: Infinity while running, 0 once closing, a Lambda invocation's time left less its margin. */
  canWaitMs: number;
}

/** A running consumer with nothing behind the delivery: BullMQ always, a Standard SQS lane. */
export const RUNNING: ConsumerRoom = { hasFollowers: false, canWaitMs: Infinity };

/** Exponential backoff after attempt n (1-based) failed: base, 2 x base, 4 x base, ... */
export function retryDelayMs(retryBaseMs: number, attempt: number): number {
  return retryBaseMs * 2 ** Math.max(0, attempt - 1);
}

export function decide(delivery: Pick<Delivery, 'attempt' | 'maxAttempts'>, result: HandlerResult, settings: PolicySettings, room: ConsumerRoom): Verdict {
  if (result === 'ok') return { kind: 'ack' };
  const { error } = result;
  if (error instanceof DependencyDownError) {
    return room.canWaitMs >= error.retryAfterMs ? { kind: 'hold', retryAfterMs: error.retryAfterMs } : { kind: 'hand-back', delayMs: error.retryAfterMs };
  }
  if (error instanceof UnrecoverableError) return { kind: 'dead-letter', reason: 'unrecoverable' };
  if (delivery.attempt >= delivery.maxAttempts) return { kind: 'dead-letter', reason: 'attempts spent' };
  const delayMs = retryDelayMs(settings.retryBaseMs, delivery.attempt);
  return room.hasFollowers && room.canWaitMs >= delayMs ? { kind: 'retry-here', delayMs } : { kind: 'retry', delayMs };
}

/** Whether a failure ends the delivery in the dead-letter queue (its key's fence is lifted then, not set). */
export function deadLettersOn(delivery: Pick<Delivery, 'attempt' | 'maxAttempts'>, error: unknown): boolean {
  return decide(delivery, { error }, { retryBaseMs: 0 }, RUNNING).kind === 'dead-letter';
}

/** After a FIFO group member's last verdict in this consumer: does the rest of its group run now, or go back unrun? */
export function followersRun(verdict: Verdict): boolean {
  return verdict.kind === 'ack' || verdict.kind === 'dead-letter';
}
