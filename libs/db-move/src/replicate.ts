// Replicate mode: a publication on the source and a subscription on the target keep the target
// current while the application still writes to the source. The switch is: writes stopped (by the
// operator) -> lag 0 -> sequences -> verify -> subscription, slot and publication removed.
import { Client } from 'pg';
import { TableInfo, tableName } from './catalog';
import { redact } from './args';
import { literal } from './connect';
import { passwordToEnv } from './password-env';

/** The publication, the subscription and the slot on the source all carry this name. */
export const REPLICATION_NAME = 'spillway_db_move';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function subscriptionExists(target: Client): Promise<boolean> {
  const { rows } = await target.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [REPLICATION_NAME]);
  return rows.length > 0;
}

/**
 * CREATE SUBSCRIPTION stores its connection string, password included, in the target's catalog
 * (pg_subscription.subconninfo, readable by the target's superusers) until the subscription is
 * dropped. The warning for a URL that carries one; none for a URL without.
 */
export function subscriptionPasswordWarning(sourceUrlForTarget: string): string | undefined {
  if (!passwordToEnv(sourceUrlForTarget).env.PGPASSWORD) return undefined;
  return `warning: the subscription's connection string (${redact(sourceUrlForTarget)}) keeps the source's password in the target's catalog (pg_subscription.subconninfo, readable by its superusers) until --switch or --abort drops it; use a replication-only role for --source-url-for-target and change its password after the move`;
}

/** Publication (source, written) and subscription (target); the subscription copies the existing rows first. */
export async function startReplication(source: Client, target: Client, tables: TableInfo[], sourceUrlForTarget: string, log: (l: string) => void): Promise<void> {
  const { rows } = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [REPLICATION_NAME]);
  if (!rows.length) {
    await source.query(`CREATE PUBLICATION ${REPLICATION_NAME} FOR TABLE ${tables.map(tableName).join(', ')}`);
    log(`publication ${REPLICATION_NAME} created on the source (${tables.length} tables)`);
  }
  if (!(await subscriptionExists(target))) {
    const warning = subscriptionPasswordWarning(sourceUrlForTarget);
    if (warning) log(warning);
    await target.query(`CREATE SUBSCRIPTION ${REPLICATION_NAME} CONNECTION ${literal(sourceUrlForTarget.replace(/^postgres(ql)?:\/\//, 'postgresql://'))} PUBLICATION ${REPLICATION_NAME}`);
    log(`subscription ${REPLICATION_NAME} created on the target; slot ${REPLICATION_NAME} on the source`);
  }
}

/** Waits until every table's initial copy is done (state 'r'), reporting how many are. */
export async function waitForInitialCopy(target: Client, log: (l: string) => void, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = '';
  for (;;) {
    const { rows } = await target.query<{ rel: string; state: string }>(
      `SELECT r.srrelid::regclass::text AS rel, r.srsubstate AS state FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1`,
      [REPLICATION_NAME],
    );
    const ready = rows.filter((r) => r.state === 'r').length;
    const line = `initial copy: ${ready} of ${rows.length} tables ready${rows.length > ready ? ` (copying: ${rows.filter((r) => r.state !== 'r').map((r) => r.rel).slice(0, 5).join(', ')})` : ''}`;
    if (line !== last) log(line);
    last = line;
    if (rows.length && ready === rows.length) return;
    if (Date.now() > deadline) throw new Error(`the initial copy did not finish in ${timeoutS} s; run again to keep watching (the subscription goes on)`);
    await sleep(1000);
  }
}

/** Bytes of source WAL the subscriber has not confirmed; null when the slot is missing. */
export async function lagBytes(source: Client): Promise<number | null> {
  const { rows } = await source.query(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag FROM pg_replication_slots WHERE slot_name = $1`,
    [REPLICATION_NAME],
  );
  return rows.length ? Math.max(0, rows[0].lag as number) : null;
}

/**
 * Lag 0: the subscriber has confirmed everything the source had written when this was called (the
 * writes are stopped, so nothing the application wrote is left behind).
 */
export async function waitForLagZero(source: Client, log: (l: string) => void, timeoutS: number): Promise<void> {
  const upTo = (await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  const deadline = Date.now() + timeoutS * 1000;
  let lastLog = 0;
  for (;;) {
    const { rows } = await source.query(
      `SELECT pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn)::float8 AS behind FROM pg_replication_slots WHERE slot_name = $1`,
      [REPLICATION_NAME, upTo],
    );
    if (!rows.length) throw new Error(`slot ${REPLICATION_NAME} is missing on the source: the replication is gone; run --abort, then move again`);
    const behind = Math.max(0, rows[0].behind as number);
    if (behind === 0) return log(`lag 0: the target has every change the source had at ${upTo}`);
    if (Date.now() - lastLog > 2000) {
      log(`lag: ${behind} bytes of WAL behind ${upTo}`);
      lastLog = Date.now();
    }
    if (Date.now() > deadline) throw new Error(`lag did not reach 0 in ${timeoutS} s (${behind} bytes behind): are writes to the source stopped? is the subscription running (pg_stat_subscription on the target)?`);
    await sleep(200);
  }
}

/** Removes the subscription (which drops its slot on the source) and the publication. */
export async function stopReplication(source: Client, target: Client, log: (l: string) => void): Promise<void> {
  if (await subscriptionExists(target)) {
    try {
      await target.query(`DROP SUBSCRIPTION ${REPLICATION_NAME}`);
    } catch (err) {
      // the source unreachable from the target: detach the slot here, drop it on the source below
      log(`DROP SUBSCRIPTION could not reach the source (${(err as Error).message}); detaching the slot`);
      await target.query(`ALTER SUBSCRIPTION ${REPLICATION_NAME} DISABLE`);
      await target.query(`ALTER SUBSCRIPTION ${REPLICATION_NAME} SET (slot_name = NONE)`);
      await target.query(`DROP SUBSCRIPTION ${REPLICATION_NAME}`);
    }
    log(`subscription ${REPLICATION_NAME} removed from the target`);
  }
  const slot = await source.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [REPLICATION_NAME]);
  if (slot.rows.length) {
    await source.query('SELECT pg_drop_replication_slot($1)', [REPLICATION_NAME]);
    log(`slot ${REPLICATION_NAME} removed from the source`);
  }
  await source.query(`DROP PUBLICATION IF EXISTS ${REPLICATION_NAME}`);
  log(`publication ${REPLICATION_NAME} removed from the source`);
}

