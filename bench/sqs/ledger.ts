import { Pool } from 'pg';
import { Child, freePort, sleep, startNode } from '../processes';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * With SQS there is no broker to read jobs from without consuming them, so the loss check counts
 * what a worker committed: `processed_events` rows of the event types one measurement used (the
 * types carry the run's id, so the shared database's other rows never count), read straight from
 * Postgres, not through the apps.
 */
export class BenchLedger {
  private readonly pool = new Pool({ connectionString: DATABASE_URL, max: 2 });

  async counts(types: string[]): Promise<{ processed: number; stored: number }> {
    const { rows } = await this.pool.query<{ processed: string; stored: string }>(
      `SELECT (SELECT count(*) FROM processed_events WHERE type = ANY($1)) AS processed,
              (SELECT count(*) FROM events WHERE type = ANY($1)) AS stored`,
      [types],
    );
    return { processed: Number(rows[0].processed), stored: Number(rows[0].stored) };
  }

  /** How many of these event ids have a processed_events row. */
  async countIds(ids: string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM processed_events WHERE id = ANY($1)', [ids]);
    return Number(rows[0].n);
  }

  /** Removes the run's own rows (its types and Idempotency-Keys are unique to it); shared tables stay. */
  async cleanUp(types: string[], keyPrefix: string): Promise<void> {
    await this.pool.query('DELETE FROM events WHERE type = ANY($1)', [types]);
    await this.pool.query('DELETE FROM processed_events WHERE type = ANY($1)', [types]);
    await this.pool.query('DELETE FROM idempotency_keys WHERE key LIKE $1', [`${keyPrefix}%`]);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** One worker process (production build) on the given env; resolves once its health port listens. */
export async function startWorker(env: Record<string, string>, concurrency: number): Promise<Child & { port: number }> {
  const port = await freePort();
  const worker = startNode('worker', 'dist/apps/worker/src/main.js', { ...env, PORT: String(port), WORKER_HEALTH_PORT: String(port), WORKER_CONCURRENCY: String(concurrency) });
  await worker.waitForPort(port);
  return Object.assign(worker, { port });
}

/**
 * Waits until `expected` events are committed, or until the count has not moved for `idleMs`
 * (then some are missing, and the check says how many), within `maxMs` in all.
 */
export async function waitForLedger(ledger: BenchLedger, types: string[], expected: number, idleMs = 15_000, maxMs = 300_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let lastMoved = Date.now();
  while (Date.now() < deadline) {
    const { processed } = await ledger.counts(types);
    if (processed >= expected) return processed;
    if (processed !== last) {
      last = processed;
      lastMoved = Date.now();
    } else if (Date.now() - lastMoved > idleMs) return processed;
    await sleep(250);
  }
  return last;
}
