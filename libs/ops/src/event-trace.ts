import type { Pool } from 'pg';
import { Lane, LANES } from '@spillway/config';
import { QueueDriver, wholeLetter } from '@spillway/queue/queue.port';

/** More than any sane dead-letter queue holds: an event is looked for among all of them. */
const LETTER_LIMIT = 100_000;

/** Where one event is now, and what was searched to say so. */
export interface EventTrace {
  event: string;
  state: 'applied' | 'dead-lettered' | 'waiting' | 'delayed' | 'active' | 'waiting-or-in-flight' | 'unknown';
  driver: string;
  lane?: Lane;
  type?: string;
  /** applied: when the ledger row was committed; dead-lettered: when the letter failed. */
  at?: string;
  /** applied: the attempt that applied it; dead-lettered: attempts made; pending: attempts made so far. */
  attempts?: number;
  /** dead-lettered: the letter's id (what `queue:redrive` and the console act on); pending: the broker's delivery id. */
  deliveryId?: string;
  lastError?: string;
  searched: string[];
}

/**
 * Applied (processed_events) first: it is the fact. Then the configured broker's dead letters on
 * every lane, then its waiting, delayed and active deliveries where the broker can be searched.
 */
export async function traceEvent(id: string, driver: QueueDriver, db: Pool): Promise<EventTrace> {
  const base = { event: id, driver: driver.name, searched: ['processed_events (the worker ledger)'] };
  const { rows } = await db.query<{ type: string; lane: Lane; attempts: number; processed_at: Date }>(
    'SELECT type, lane, attempts, processed_at FROM processed_events WHERE id = $1',
    [id],
  );
  if (rows[0]) {
    const r = rows[0];
    return { ...base, state: 'applied', lane: r.lane, type: r.type, at: r.processed_at.toISOString(), attempts: r.attempts };
  }

  base.searched.push(`${driver.name} dead letters on ${LANES.join(', ')}`);
  for (const lane of LANES) {
    for (const listed of await driver.deadLetters(lane, LETTER_LIMIT)) {
      // A claim-checked letter's event ids are known only from its payload: read it (SQS: from S3).
      const letter = await wholeLetter(driver, listed);
      const event = letter.events.find((e) => e.id === id);
      if (event) {
        return { ...base, state: 'dead-lettered', lane, type: event.type, at: letter.failedAt, attempts: letter.attempts, deliveryId: letter.id, lastError: letter.lastError };
      }
    }
  }

  if (!driver.findPending) {
    base.searched.push(`not searched: ${driver.name} waiting and in-flight deliveries (SQS cannot be searched without receiving)`);
    return { ...base, state: 'waiting-or-in-flight' };
  }
  base.searched.push(`${driver.name} waiting, delayed and active deliveries on ${LANES.join(', ')}`);
  for (const lane of LANES) {
    const pending = await driver.findPending(lane, id);
    if (pending) return { ...base, state: pending.state, lane, attempts: pending.attemptsMade, deliveryId: pending.id };
  }
  return { ...base, state: 'unknown' };
}

/** The trace as a few lines for a terminal. */
export function traceText(t: EventTrace): string {
  const line = (() => {
    switch (t.state) {
      case 'applied':
        return `applied on lane ${t.lane} at ${t.at}, after ${t.attempts} attempt(s) (type ${t.type})`;
      case 'dead-lettered':
        return `dead-lettered on lane ${t.lane} after ${t.attempts} attempt(s), failed at ${t.at} (letter ${t.deliveryId}): ${t.lastError?.split('\n')[0]}`;
      case 'waiting':
        return `waiting on lane ${t.lane} (delivery ${t.deliveryId}, ${t.attempts} attempt(s) made)`;
      case 'delayed':
        return `in a retry backoff on lane ${t.lane} (delivery ${t.deliveryId}, ${t.attempts} attempt(s) made)`;
      case 'active':
        return `being delivered now on lane ${t.lane} (delivery ${t.deliveryId}, attempt ${(t.attempts ?? 0) + 1})`;
      case 'waiting-or-in-flight':
        return 'not applied and not dead-lettered: waiting or in flight (SQS cannot be searched without receiving)';
      case 'unknown':
        return `unknown: not applied, not dead-lettered, not waiting on any lane of this ${t.driver} prefix (a wrong id, another side, or a ledger row past LEDGER_RETENTION_DAYS)`;
    }
  })();
  return `event ${t.event}: ${line}\nsearched (${t.driver}): ${t.searched.join('; ')}\n`;
}
